/**
 * Fast encoding of a ReceiveResponse envelope: the headers go through the core encoder, the body
 * is written as a string so that large base64 payloads are not pushed through the XML builder.
 * The result is the same XML the core encoder writes (the rsp prefix is declared on the body
 * element). Used by the Receive path and for its size arithmetic.
 */
import { NS, CommandStateURI, encodeEnvelope, type Headers, type ReceiveResponseBody } from '../core/index.js';

function attr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/>/g, '&gt;');
}

const STATE_URI: Record<string, string> = { Done: CommandStateURI.Done, Running: CommandStateURI.Running, Pending: CommandStateURI.Pending };

export function receiveResponseXml(b: ReceiveResponseBody): string {
  let s = `<rsp:ReceiveResponse xmlns:rsp="${NS.rsp}"${b.sequenceId !== undefined ? ` SequenceID="${b.sequenceId}"` : ''}>`;
  for (const st of b.streams) {
    const head = `<rsp:Stream Name="${attr(st.name)}"${st.commandId !== undefined ? ` CommandId="${attr(st.commandId)}"` : ''}${st.end !== undefined ? ` End="${st.end}"` : ''}`;
    s += st.data.length ? `${head}>${st.data.toString('base64')}</rsp:Stream>` : `${head}/>`;
  }
  const cs = b.commandState;
  if (cs) {
    const head = `<rsp:CommandState${cs.commandId !== undefined ? ` CommandId="${attr(cs.commandId)}"` : ''} State="${attr(STATE_URI[cs.state] ?? cs.state)}"`;
    s += cs.exitCode !== undefined ? `${head}><rsp:ExitCode>${cs.exitCode}</rsp:ExitCode></rsp:CommandState>` : `${head}/>`;
  }
  return s + '</rsp:ReceiveResponse>';
}

/** The whole envelope for a ReceiveResponse. */
export function receiveEnvelopeXml(headers: Headers, b: ReceiveResponseBody): string {
  const shell = encodeEnvelope(headers, [], 'response');
  const i = shell.lastIndexOf('<s:Body/>');
  if (i < 0) throw new Error('internal: unexpected envelope shape');
  return `${shell.slice(0, i)}<s:Body>${receiveResponseXml(b)}</s:Body>${shell.slice(i + '<s:Body/>'.length)}`;
}
