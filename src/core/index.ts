/** The sans-IO core: envelopes, messages, durations, faults. No sockets, timers, clock or randomness. */
export * from './namespaces.js';
export * from './errors.js';
export * from './duration.js';
export { parseXml, decodeXmlBytes, DEFAULT_XML_LIMITS, type XmlElement, type XmlAttr, type XmlLimits, type XNode } from './xml.js';
export * from './envelope.js';
/** WinRM's xpress compression (MS-XCA LZ77+Huffman) of shell stream data. */
export * from './xpress/index.js';
export * from './messages/index.js';
export { faultFromCode, faultAction, normalizeSubcode } from './messages/fault.js';
export { configNumber } from './messages/transfer.js';
export { messageToJson, toJson, printable, type Json } from './inspect.js';
/** Shell and command state machines, shared by the listener and the client. */
export * from './state/index.js';
