/**
 * Pipeline messages (MS-PSRP 2.2.2.10, 2.2.2.14-2.2.2.17, 2.2.2.20): CREATE_PIPELINE with its
 * PowerShell (2.2.3.11) and Commands (2.2.3.12), GET_COMMAND_METADATA, input, end of input, output
 * and state. The property order is PowerShell's, so that encode reproduces what it sends.
 */
import { PSObject, type PSValue } from '../clixml/model.js';
import { bag, bad, enumObject, listObject, Reader, type PSEnum } from './common.js';
import { NO_DATA, type Codec } from './types.js';

/** The list type PowerShell gives Cmds, ExtraCmds and Args. */
export const PSOBJECT_LIST = 'System.Collections.Generic.List`1[[System.Management.Automation.PSObject, System.Management.Automation, Version=1.0.0.0, Culture=neutral, PublicKeyToken=31bf3856ad364e35]]';
const LIST_TYPES = [PSOBJECT_LIST, 'System.Object'];
const RESULT_TYPES = 'System.Management.Automation.Runspaces.PipelineResultTypes';

/** One argument (2.2.3.13): `<Obj><MS><S N="N">Name</S><S N="V">value</S></MS></Obj>`; N is Nil for a positional argument. */
export interface CommandParameter {
  name: string | null;
  value: PSValue;
}

/** PipelineResultTypes (2.2.3.31): None 0, Output 1, Error 2, Warning 3, Verbose 4, Debug 5, Information 6, All 7. */
export const RESULT_NONE: PSEnum = { value: 0, name: 'None' };

/** 2.2.3.12 Command: `<Obj><MS><S N="Cmd">Get-Date</S><B N="IsScript">false</B><Nil N="UseLocalScope" /><Obj N="MergeMyResult">…</Obj>…<Obj N="Args">…</Obj>…</MS></Obj>` */
export interface Command {
  cmd: string;
  isScript: boolean;
  useLocalScope: boolean | null;
  mergeMyResult: PSEnum;
  mergeToResult: PSEnum;
  mergePreviousResults: PSEnum;
  args: CommandParameter[];
  /** Protocol 2.2+: the per-stream merges (absent from older peers). */
  mergeError?: PSEnum;
  mergeWarning?: PSEnum;
  mergeVerbose?: PSEnum;
  mergeDebug?: PSEnum;
  /** Protocol 2.3+. */
  mergeInformation?: PSEnum;
}

const MERGES = [['mergeError', 'MergeError'], ['mergeWarning', 'MergeWarning'], ['mergeVerbose', 'MergeVerbose'], ['mergeDebug', 'MergeDebug'], ['mergeInformation', 'MergeInformation']] as const;

/** A command with PowerShell's defaults (no merging) and every per-stream merge. */
export function command(cmd: string, isScript: boolean, args: CommandParameter[] = []): Command {
  return {
    cmd, isScript, useLocalScope: null, mergeMyResult: RESULT_NONE, mergeToResult: RESULT_NONE, mergePreviousResults: RESULT_NONE, args,
    mergeError: RESULT_NONE, mergeWarning: RESULT_NONE, mergeVerbose: RESULT_NONE, mergeDebug: RESULT_NONE, mergeInformation: RESULT_NONE,
  };
}

function encodeCommand(c: Command): PSObject {
  const merge = (e: PSEnum): PSObject => enumObject(RESULT_TYPES, e);
  return bag([
    ['Cmd', c.cmd],
    ['IsScript', c.isScript],
    ['UseLocalScope', c.useLocalScope],
    ['MergeMyResult', merge(c.mergeMyResult)],
    ['MergeToResult', merge(c.mergeToResult)],
    ['MergePreviousResults', merge(c.mergePreviousResults)],
    ['Args', listObject(LIST_TYPES, c.args.map((a) => bag([['N', a.name], ['V', a.value]])))],
    ...MERGES.map(([k, n]) => c[k] !== undefined && ([n, merge(c[k])] as [string, PSObject])),
  ]);
}

function decodeCommand(v: PSValue): Command {
  const r = new Reader('CREATE_PIPELINE command', v);
  const scope = r.opt('UseLocalScope');
  const c: Command = {
    cmd: r.str('Cmd'),
    isScript: r.bool('IsScript'),
    useLocalScope: typeof scope === 'boolean' ? scope : null,
    mergeMyResult: r.enum('MergeMyResult'),
    mergeToResult: r.enum('MergeToResult'),
    mergePreviousResults: r.enum('MergePreviousResults'),
    args: r.list('Args').map((a) => {
      const ar = new Reader('CREATE_PIPELINE argument', a);
      return { name: ar.strOrNull('N'), value: ar.opt('V') ?? null };
    }),
  };
  for (const [k, n] of MERGES) if (r.has(n)) c[k] = r.enum(n);
  return c;
}

/** 2.2.3.11 PowerShell: `<Obj N="PowerShell"><MS><B N="IsNested">false</B><Nil N="ExtraCmds" /><Obj N="Cmds">…</Obj><Nil N="History" /><B N="RedirectShellErrorOutputPipe">false</B></MS></Obj>` */
export interface PowerShellPipeline {
  isNested: boolean;
  /** Statements after AddStatement (each its own list of commands), or null. */
  extraCmds: Command[][] | null;
  cmds: Command[];
  history: string | null;
  redirectShellErrorOutputPipe: boolean;
}

function encodePowerShell(p: PowerShellPipeline): PSObject {
  return bag([
    ['IsNested', p.isNested],
    ['ExtraCmds', p.extraCmds === null ? null : listObject(LIST_TYPES, p.extraCmds.map((cmds) => bag([['Cmds', listObject(LIST_TYPES, cmds.map(encodeCommand))]])))],
    ['Cmds', listObject(LIST_TYPES, p.cmds.map(encodeCommand))],
    ['History', p.history],
    ['RedirectShellErrorOutputPipe', p.redirectShellErrorOutputPipe],
  ]);
}

function decodePowerShell(v: PSValue): PowerShellPipeline {
  const r = new Reader('CREATE_PIPELINE PowerShell', v);
  const extra = r.opt('ExtraCmds');
  return {
    isNested: r.bool('IsNested'),
    extraCmds: extra instanceof PSObject && extra.list ? extra.list.map((s) => new Reader('CREATE_PIPELINE statement', s).list('Cmds').map(decodeCommand)) : null,
    cmds: r.list('Cmds').map(decodeCommand),
    history: r.strOrNull('History'),
    redirectShellErrorOutputPipe: r.has('RedirectShellErrorOutputPipe') ? r.bool('RedirectShellErrorOutputPipe') : false,
  };
}

/** 2.2.2.10 CREATE_PIPELINE: `<Obj RefId="0"><MS><B N="NoInput">true</B><Obj N="ApartmentState">…</Obj><Obj N="RemoteStreamOptions">…</Obj><B N="AddToHistory">false</B><Obj N="HostInfo">…</Obj><Obj N="PowerShell">…</Obj><B N="IsNested">false</B></MS></Obj>` */
export interface CreatePipeline {
  type: 'CREATE_PIPELINE';
  noInput: boolean;
  apartmentState: PSEnum;
  /** RemoteStreamOptions (2.2.3.8): AddInvocationInfo 15… */
  remoteStreamOptions: PSEnum;
  addToHistory: boolean;
  hostInfo: PSValue;
  powerShell: PowerShellPipeline;
  isNested: boolean;
}
export const createPipeline: Codec<CreatePipeline> = {
  type: 'CREATE_PIPELINE',
  encode: (m) => bag([
    ['NoInput', m.noInput],
    ['ApartmentState', enumObject('System.Management.Automation.Runspaces.ApartmentState', m.apartmentState)],
    ['RemoteStreamOptions', enumObject('System.Management.Automation.Runspaces.RemoteStreamOptions', m.remoteStreamOptions)],
    ['AddToHistory', m.addToHistory],
    ['HostInfo', m.hostInfo],
    ['PowerShell', encodePowerShell(m.powerShell)],
    ['IsNested', m.isNested],
  ]),
  decode: (v) => {
    const r = new Reader('CREATE_PIPELINE', v);
    return {
      type: 'CREATE_PIPELINE',
      noInput: r.bool('NoInput'),
      apartmentState: r.enum('ApartmentState'),
      remoteStreamOptions: r.enum('RemoteStreamOptions'),
      addToHistory: r.bool('AddToHistory'),
      hostInfo: r.opt('HostInfo') ?? null,
      powerShell: decodePowerShell(r.any('PowerShell')),
      isNested: r.bool('IsNested'),
    };
  },
};

function stringArray(v: PSValue | undefined, what: string): string[] | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return [v];
  if (v instanceof PSObject && v.list) {
    return v.list.map((s) => {
      if (typeof s !== 'string') throw bad(what, 'a name is not a string');
      return s;
    });
  }
  throw bad(what, 'not a string array');
}

/** 2.2.2.14 GET_COMMAND_METADATA: `<Obj RefId="0"><MS><Obj N="Name"><TN><T>System.String[]</T>…</TN><LST><S>Get-*</S></LST></Obj><Obj N="CommandType">…</Obj><Nil N="Namespace" /><Nil N="ArgumentList" /></MS></Obj>` */
export interface GetCommandMetadata {
  type: 'GET_COMMAND_METADATA';
  name: string[];
  /** CommandTypes (2.2.3.19) flags; a bare number is sent as an I32, as some clients do. */
  commandType: PSEnum | number;
  namespace: string[] | null;
  argumentList: PSValue[] | null;
}
const STRING_ARRAY = ['System.String[]', 'System.Array', 'System.Object'];
export const getCommandMetadata: Codec<GetCommandMetadata> = {
  type: 'GET_COMMAND_METADATA',
  encode: (m) => bag([
    ['Name', listObject(STRING_ARRAY, m.name)],
    ['CommandType', typeof m.commandType === 'number' ? m.commandType : enumObject('System.Management.Automation.CommandTypes', m.commandType)],
    ['Namespace', m.namespace === null ? null : listObject(STRING_ARRAY, m.namespace)],
    ['ArgumentList', m.argumentList === null ? null : listObject(['System.Object[]', 'System.Array', 'System.Object'], m.argumentList)],
  ]),
  decode: (v) => {
    const r = new Reader('GET_COMMAND_METADATA', v);
    const ct = r.any('CommandType');
    const args = r.opt('ArgumentList');
    return {
      type: 'GET_COMMAND_METADATA',
      name: stringArray(r.any('Name'), 'GET_COMMAND_METADATA Name') ?? [],
      commandType: typeof ct === 'number' ? ct : r.enum('CommandType'),
      namespace: stringArray(r.opt('Namespace'), 'GET_COMMAND_METADATA Namespace'),
      argumentList: args instanceof PSObject && args.list ? args.list : null,
    };
  },
};

/** 2.2.2.17 PIPELINE_INPUT and 2.2.2.18 PIPELINE_OUTPUT: the object itself, `<S>message 1</S>`. */
export interface PipelineObject {
  type: 'PIPELINE_INPUT' | 'PIPELINE_OUTPUT';
  value: PSValue;
}
function objectMessage(type: PipelineObject['type']): Codec<PipelineObject> {
  return { type, encode: (m) => m.value, decode: (value) => ({ type, value }) };
}
export const pipelineInput = objectMessage('PIPELINE_INPUT');
export const pipelineOutput = objectMessage('PIPELINE_OUTPUT');

/** 2.2.2.16 END_OF_PIPELINE_INPUT: no data at all. */
export interface EndOfPipelineInput {
  type: 'END_OF_PIPELINE_INPUT';
}
export const endOfPipelineInput: Codec<EndOfPipelineInput> = {
  type: 'END_OF_PIPELINE_INPUT',
  encode: () => NO_DATA,
  decode: () => ({ type: 'END_OF_PIPELINE_INPUT' }),
};

/** 2.2.2.20 PIPELINE_STATE: `<Obj RefId="0"><MS><I32 N="PipelineState">4</I32></MS></Obj>` (+ ExceptionAsErrorRecord when Failed). */
export interface PipelineStateMessage {
  type: 'PIPELINE_STATE';
  /** PSInvocationState (2.2.3.5): 3 Stopped, 4 Completed, 5 Failed… */
  pipelineState: number;
  exceptionAsErrorRecord?: PSValue;
}
export const pipelineState: Codec<PipelineStateMessage> = {
  type: 'PIPELINE_STATE',
  encode: (m) => bag([['PipelineState', m.pipelineState], m.exceptionAsErrorRecord !== undefined && ['ExceptionAsErrorRecord', m.exceptionAsErrorRecord]]),
  decode: (v) => {
    const r = new Reader('PIPELINE_STATE', v);
    const e = r.opt('ExceptionAsErrorRecord');
    return { type: 'PIPELINE_STATE', pipelineState: r.int('PipelineState'), ...(e !== undefined ? { exceptionAsErrorRecord: e } : {}) };
  },
};
