/**
 * Host calls and their responses (MS-PSRP 2.2.2.27-2.2.2.30): the server asks the client's host
 * (Read-Host, Write-Host, prompts, the raw UI) at pool or pipeline level; the client answers with
 * the same call id.
 */
import type { PSValue } from '../clixml/model.js';
import { bag, enumObject, listObject, Reader, type PSEnum } from './common.js';
import type { Codec } from './types.js';

const METHOD_ID = 'System.Management.Automation.Remoting.RemoteHostMethodId';

/** 2.2.2.27/2.2.2.29 host call: `<Obj RefId="0"><MS><I64 N="ci">-100</I64><Obj N="mi">…<ToString>SetShouldExit</ToString><I32>6</I32></Obj><Obj N="mp"><TN><T>System.Collections.ArrayList</T>…</TN><LST><I32>1</I32></LST></Obj></MS></Obj>` */
export interface HostCall {
  type: 'RUNSPACEPOOL_HOST_CALL' | 'PIPELINE_HOST_CALL';
  /** Call id; negative for calls that expect no answer (SetShouldExit sends -100). */
  callId: bigint;
  /** RemoteHostMethodId (2.2.3.17): ReadLine 11, WriteLine2 17, Prompt 23, ReadKey 46… */
  methodId: PSEnum;
  parameters: PSValue[];
}
function hostCall(type: HostCall['type']): Codec<HostCall> {
  return {
    type,
    encode: (m) => bag([['ci', m.callId], ['mi', enumObject(METHOD_ID, m.methodId)], ['mp', listObject(['System.Collections.ArrayList', 'System.Object'], m.parameters)]]),
    decode: (v) => {
      const r = new Reader(type, v);
      const mp = r.opt('mp');
      return { type, callId: r.long('ci'), methodId: r.enum('mi'), parameters: mp === undefined || mp === null ? [] : r.list('mp') };
    },
  };
}
export const runspacePoolHostCall = hostCall('RUNSPACEPOOL_HOST_CALL');
export const pipelineHostCall = hostCall('PIPELINE_HOST_CALL');

/** 2.2.2.28/2.2.2.30 host response: `<Obj RefId="0"><MS><I64 N="ci">1</I64><Obj N="mi">…</Obj><S N="mr">typed text</S></MS></Obj>` (`me` carries an error record instead). */
export interface HostResponse {
  type: 'RUNSPACEPOOL_HOST_RESPONSE' | 'PIPELINE_HOST_RESPONSE';
  callId: bigint;
  methodId: PSEnum;
  /** The method's return value (absent for void methods). */
  returnValue?: PSValue;
  /** An ErrorRecord when the host call failed. */
  error?: PSValue;
}
function hostResponse(type: HostResponse['type']): Codec<HostResponse> {
  return {
    type,
    encode: (m) => bag([
      ['ci', m.callId],
      ['mi', enumObject(METHOD_ID, m.methodId)],
      m.returnValue !== undefined && ['mr', m.returnValue],
      m.error !== undefined && ['me', m.error],
    ]),
    decode: (v) => {
      const r = new Reader(type, v);
      const mr = r.obj.extended.has('mr') ? r.obj.extended.get('mr') : undefined;
      const me = r.obj.extended.has('me') ? r.obj.extended.get('me') : undefined;
      return {
        type, callId: r.long('ci'), methodId: r.enum('mi'),
        ...(mr !== undefined ? { returnValue: mr } : {}),
        ...(me !== undefined ? { error: me } : {}),
      };
    },
  };
}
export const runspacePoolHostResponse = hostResponse('RUNSPACEPOOL_HOST_RESPONSE');
export const pipelineHostResponse = hostResponse('PIPELINE_HOST_RESPONSE');
