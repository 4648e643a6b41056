/**
 * The client's host (PowerShell: PSHost / PSHostUserInterface on the client of a remote session):
 * answers the host calls a server makes (PIPELINE_HOST_CALL, RUNSPACEPOOL_HOST_CALL; MS-PSRP
 * 2.2.2.27-2.2.2.30) with one callback per RemoteHostMethodId (2.2.3.17), and a default
 * non-interactive host: text goes to the output, progress is ignored, and every read or prompt is
 * answered at once with PowerShell's own non-interactive error record instead of a hang.
 */
import type { PSValue } from '../../psrp/clixml/model.js';
import { PSObject } from '../../psrp/clixml/model.js';
import type { Serializable } from '../../psrp/clixml/serialize.js';
import type { HostCall } from '../../psrp/messages/host.js';

/** RemoteHostMethodId names (MS-PSRP 2.2.3.17), the methods a server may call. */
export type HostMethodName =
  | 'GetName' | 'GetVersion' | 'GetInstanceId' | 'GetCurrentCulture' | 'GetCurrentUICulture' | 'SetShouldExit'
  | 'EnterNestedPrompt' | 'ExitNestedPrompt' | 'NotifyBeginApplication' | 'NotifyEndApplication'
  | 'ReadLine' | 'ReadLineAsSecureString' | 'Write1' | 'Write2' | 'WriteLine1' | 'WriteLine2' | 'WriteLine3'
  | 'WriteErrorLine' | 'WriteDebugLine' | 'WriteProgress' | 'WriteVerboseLine' | 'WriteWarningLine'
  | 'Prompt' | 'PromptForCredential1' | 'PromptForCredential2' | 'PromptForChoice' | 'PromptForChoiceMultipleSelection'
  | 'GetForegroundColor' | 'SetForegroundColor' | 'GetBackgroundColor' | 'SetBackgroundColor' | 'GetCursorPosition'
  | 'SetCursorPosition' | 'GetWindowPosition' | 'SetWindowPosition' | 'GetCursorSize' | 'SetCursorSize' | 'GetBufferSize'
  | 'SetBufferSize' | 'GetWindowSize' | 'SetWindowSize' | 'GetWindowTitle' | 'SetWindowTitle' | 'GetMaxWindowSize'
  | 'GetMaxPhysicalWindowSize' | 'GetKeyAvailable' | 'ReadKey' | 'FlushInputBuffer' | 'SetBufferContents1'
  | 'SetBufferContents2' | 'GetBufferContents' | 'ScrollBufferContents' | 'PushRunspace' | 'PopRunspace'
  | 'GetIsRunspacePushed' | 'GetRunspace';

/** Where a host call came from: a pipeline (its id) or the pool. */
export interface HostCallContext {
  call: HostCall;
  /** The pipeline id, or undefined for a RUNSPACEPOOL_HOST_CALL. */
  pid: string | undefined;
}

/**
 * One host method: gets the call's parameters and returns the method's value (ignored for void
 * methods). Throwing answers the call with an error record (a HostError keeps its id and category).
 */
export type HostMethod = (parameters: PSValue[], context: HostCallContext) => Serializable | undefined | Promise<Serializable | undefined>;

/** A host: callbacks per method. A method it lacks is answered with a "not implemented" error record. PowerShell: PSHost. */
export type PSHost = Partial<Record<HostMethodName, HostMethod>>;

/** The call id the server gives calls that expect no answer (void methods). */
export const VOID_CALL_ID = -100n;

/** A host method's failure, answered to the server as an error record. PowerShell: the exception a PSHostUserInterface method throws. */
export class HostError extends Error {
  constructor(
    message: string,
    /** .NET exception type names, most derived first. */
    readonly exceptionTypes: string[] = ['System.NotImplementedException', 'System.SystemException', 'System.Exception', 'System.Object'],
    readonly fullyQualifiedErrorId = 'RemoteHostExecutionException',
    /** ErrorCategory: NotSpecified 0, InvalidOperation 7, NotImplemented 11… */
    readonly category: { value: number; name: string } = { value: 0, name: 'NotSpecified' },
  ) {
    super(message);
    this.name = 'HostError';
  }
}

/** PowerShell's own message when a non-interactive host is asked to read or prompt (pwsh -NonInteractive). */
export const NON_INTERACTIVE_MESSAGE = 'PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.';

/** The error a non-interactive host answers reads and prompts with (a PSInvalidOperationException, as pwsh -NonInteractive throws). */
export function nonInteractiveError(): HostError {
  return new HostError(
    NON_INTERACTIVE_MESSAGE,
    ['System.Management.Automation.PSInvalidOperationException', 'System.InvalidOperationException', 'System.SystemException', 'System.Exception', 'System.Object'],
    'InvalidOperation',
    { value: 7, name: 'InvalidOperation' },
  );
}

/** An error record in the form PowerShell's remoting encodes one (ErrorRecord.ToPSObjectForRemoting), as a host response's `me`. */
export function hostErrorRecord(err: HostError): PSObject {
  const reason = err.exceptionTypes[0]!.split('.').pop()!;
  const exception = new PSObject({
    typeNames: err.exceptionTypes,
    toStringText: `${err.exceptionTypes[0]}: ${err.message}`,
    adapted: [['Message', err.message], ['Data', null], ['InnerException', null], ['HelpLink', null], ['Source', null], ['HResult', -2146233079], ['StackTrace', null]],
  });
  return new PSObject({
    typeNames: ['System.Management.Automation.ErrorRecord', 'System.Object'],
    toStringText: err.message,
    extended: [
      ['Exception', exception],
      ['TargetObject', null],
      ['FullyQualifiedErrorId', err.fullyQualifiedErrorId],
      ['InvocationInfo', null],
      ['ErrorCategory_Category', err.category.value],
      ['ErrorCategory_Activity', ''],
      ['ErrorCategory_Reason', reason],
      ['ErrorCategory_TargetName', ''],
      ['ErrorCategory_TargetType', ''],
      ['ErrorCategory_Message', `${err.category.name}: (:) [], ${reason}`],
      ['SerializeExtendedInfo', false],
    ],
  });
}

/**
 * Run a host call against a host. Returns what to answer: a return value, an error record, or
 * undefined for a void method (call id -100, which PowerShell does not wait for; a void method's
 * failure is not reported).
 */
export async function answerHostCall(host: PSHost, context: HostCallContext): Promise<{ returnValue: Serializable } | { error: Serializable } | undefined> {
  const { call } = context;
  const isVoid = call.callId === VOID_CALL_ID;
  const method = host[call.methodId.name as HostMethodName];
  try {
    if (!method) {
      if (isVoid) return undefined;
      throw new HostError(`The host does not implement ${call.methodId.name}.`, undefined, 'HostFunctionNotImplemented', { value: 11, name: 'NotImplemented' });
    }
    const value = await method(call.parameters, context);
    if (isVoid) return undefined;
    return { returnValue: value ?? null };
  } catch (err) {
    if (isVoid) return undefined;
    const e = err instanceof HostError ? err : new HostError((err as Error).message ?? String(err));
    return { error: hostErrorRecord(e) };
  }
}

/** Where a non-interactive host writes. */
export interface HostOutput {
  /** Host text (Write-Host, $Host.UI.Write/WriteLine). */
  write(text: string): void;
  /** $Host.UI.WriteErrorLine, WriteWarningLine, WriteVerboseLine, WriteDebugLine; default `write`. */
  writeError?(text: string): void;
}

const text = (v: PSValue | undefined): string => (v === null || v === undefined ? '' : v instanceof PSObject ? v.toString() : String(v));

/**
 * The default host of a client that cannot ask its user anything (a CLI run, a service): text to
 * `out`, progress and window settings ignored, and ReadLine, Read-Host, PromptForChoice,
 * PromptForCredential, ReadKey… answered at once with PowerShell's non-interactive error. PowerShell:
 * the console host of `pwsh -NonInteractive`.
 */
export function nonInteractiveHost(out: HostOutput): PSHost {
  const err = (prefix: string) => (p: PSValue[]): undefined => {
    (out.writeError ?? out.write)(`${prefix}${text(p[p.length - 1])}\n`);
    return undefined;
  };
  const refuse = (): never => {
    throw nonInteractiveError();
  };
  const ignore = (): undefined => undefined;
  return {
    GetName: () => 'wsman',
    Write1: (p) => void out.write(text(p[0])),
    Write2: (p) => void out.write(text(p[2])),
    WriteLine1: () => void out.write('\n'),
    WriteLine2: (p) => void out.write(`${text(p[0])}\n`),
    WriteLine3: (p) => void out.write(`${text(p[2])}\n`),
    WriteErrorLine: err(''),
    WriteWarningLine: err('WARNING: '),
    WriteVerboseLine: err('VERBOSE: '),
    WriteDebugLine: err('DEBUG: '),
    WriteProgress: ignore,
    SetShouldExit: ignore,
    NotifyBeginApplication: ignore,
    NotifyEndApplication: ignore,
    EnterNestedPrompt: ignore,
    ExitNestedPrompt: ignore,
    PushRunspace: ignore,
    PopRunspace: ignore,
    SetForegroundColor: ignore,
    SetBackgroundColor: ignore,
    SetCursorPosition: ignore,
    SetWindowPosition: ignore,
    SetCursorSize: ignore,
    SetBufferSize: ignore,
    SetWindowSize: ignore,
    SetWindowTitle: ignore,
    FlushInputBuffer: ignore,
    GetIsRunspacePushed: () => false,
    ReadLine: refuse,
    ReadLineAsSecureString: refuse,
    Prompt: refuse,
    PromptForCredential1: refuse,
    PromptForCredential2: refuse,
    PromptForChoice: refuse,
    PromptForChoiceMultipleSelection: refuse,
    ReadKey: refuse,
    GetKeyAvailable: () => false,
  };
}
