/**
 * Sans-IO PowerShell Remoting Protocol (MS-PSRP): CLIXML, fragments, messages, the out-of-process
 * packet codec, and the runspace pool and pipeline state machines with their client role.
 */
export * from './clixml/index.js';
export * from './errors.js';
export * from './fragment.js';
export * from './message.js';
export * from './messages/index.js';
export * from './outofproc.js';
export * from './pipeline.js';
export * from './pool.js';
