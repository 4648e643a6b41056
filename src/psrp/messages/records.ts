/**
 * Stream records a pipeline sends (MS-PSRP 2.2.2.19, 2.2.2.21-2.2.2.25): error, debug, verbose,
 * warning, information and progress. The record object is kept whole (encode gives it back
 * unchanged); the typed fields are what a caller reads.
 */
import { PSObject, type PSValue } from '../clixml/model.js';
import { bag, enumObject, Reader, type PSEnum } from './common.js';
import type { Codec } from './types.js';

/** 2.2.2.19 ERROR_RECORD: `<Obj RefId="0"><TN><T>System.Management.Automation.ErrorRecord</T>…</TN><ToString>error stream</ToString><MS><B N="writeErrorStream">true</B><Obj N="Exception">…</Obj>…<S N="FullyQualifiedErrorId">…</S>…</MS></Obj>` */
export interface ErrorRecordMessage {
  type: 'ERROR_RECORD';
  /** What PowerShell prints first: the record's ToString. */
  message: string;
  fullyQualifiedErrorId: string | null;
  /** ErrorCategory_Category (an I32 of ErrorCategory), when sent. */
  category: number | null;
  record: PSObject;
}
export const errorRecord: Codec<ErrorRecordMessage> = {
  type: 'ERROR_RECORD',
  encode: (m) => m.record,
  decode: (v) => {
    const r = new Reader('ERROR_RECORD', v);
    const cat = r.opt('ErrorCategory_Category');
    return {
      type: 'ERROR_RECORD',
      message: r.obj.toStringText ?? r.strOrNull('ErrorDetails_Message') ?? '',
      fullyQualifiedErrorId: r.strOrNull('FullyQualifiedErrorId'),
      category: typeof cat === 'number' ? cat : null,
      record: r.obj,
    };
  },
};

/** 2.2.2.22-2.2.2.24 DEBUG/VERBOSE/WARNING_RECORD: `<Obj RefId="0"><TN><T>System.Management.Automation.VerboseRecord</T>…</TN><ToString>text</ToString><MS><S N="InformationalRecord_Message">text</S>…</MS></Obj>` */
export interface InformationalRecordMessage {
  type: 'DEBUG_RECORD' | 'VERBOSE_RECORD' | 'WARNING_RECORD';
  message: string;
  record: PSObject;
}
function informational(type: InformationalRecordMessage['type']): Codec<InformationalRecordMessage> {
  return {
    type,
    encode: (m) => m.record,
    decode: (v) => {
      const r = new Reader(type, v);
      return { type, message: r.strOrNull('InformationalRecord_Message') ?? r.obj.toStringText ?? '', record: r.obj };
    },
  };
}
export const debugRecord = informational('DEBUG_RECORD');
export const verboseRecord = informational('VERBOSE_RECORD');
export const warningRecord = informational('WARNING_RECORD');

/** 2.2.2.26 INFORMATION_RECORD: `<Obj RefId="0"><MS><S N="MessageData">text</S><S N="Source">Write-Information</S><DT N="TimeGenerated">…</DT><Obj N="Tags">…</Obj><S N="User">…</S>…</MS></Obj>` */
export interface InformationRecordMessage {
  type: 'INFORMATION_RECORD';
  messageData: PSValue;
  source: string | null;
  tags: string[];
  record: PSObject;
}
export const informationRecord: Codec<InformationRecordMessage> = {
  type: 'INFORMATION_RECORD',
  encode: (m) => m.record,
  decode: (v) => {
    const r = new Reader('INFORMATION_RECORD', v);
    const tags = r.opt('Tags');
    return {
      type: 'INFORMATION_RECORD',
      messageData: r.opt('MessageData') ?? null,
      source: r.strOrNull('Source'),
      tags: tags instanceof PSObject && tags.list ? tags.list.filter((t): t is string => typeof t === 'string') : [],
      record: r.obj,
    };
  },
};

/** 2.2.2.25 PROGRESS_RECORD: `<Obj RefId="0"><MS><S N="Activity">…</S><I32 N="ActivityId">0</I32><S N="StatusDescription">…</S><Nil N="CurrentOperation" /><I32 N="ParentActivityId">-1</I32><I32 N="PercentComplete">-1</I32><Obj N="Type">…</Obj><I32 N="SecondsRemaining">-1</I32></MS></Obj>` */
export interface ProgressRecordMessage {
  type: 'PROGRESS_RECORD';
  activity: string;
  activityId: number;
  statusDescription: string;
  currentOperation: string | null;
  parentActivityId: number;
  percentComplete: number;
  /** ProgressRecordType: Processing 0, Completed 1. */
  recordType: PSEnum;
  secondsRemaining: number;
}
export const progressRecord: Codec<ProgressRecordMessage> = {
  type: 'PROGRESS_RECORD',
  encode: (m) => bag([
    ['Activity', m.activity],
    ['ActivityId', m.activityId],
    ['StatusDescription', m.statusDescription],
    ['CurrentOperation', m.currentOperation],
    ['ParentActivityId', m.parentActivityId],
    ['PercentComplete', m.percentComplete],
    ['Type', enumObject('System.Management.Automation.ProgressRecordType', m.recordType)],
    ['SecondsRemaining', m.secondsRemaining],
  ]),
  decode: (v) => {
    const r = new Reader('PROGRESS_RECORD', v);
    return {
      type: 'PROGRESS_RECORD',
      activity: r.strOrNull('Activity') ?? '',
      activityId: r.int('ActivityId'),
      statusDescription: r.strOrNull('StatusDescription') ?? '',
      currentOperation: r.strOrNull('CurrentOperation'),
      parentActivityId: r.int('ParentActivityId'),
      percentComplete: r.int('PercentComplete'),
      recordType: r.enum('Type'),
      secondsRemaining: r.int('SecondsRemaining'),
    };
  },
};
