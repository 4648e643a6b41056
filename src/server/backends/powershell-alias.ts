/**
 * `powershell` / `powershell.exe` in the cmd shell (pywinrm's `run_ps`, Ansible's
 * `PowerShell -NoProfile -NonInteractive -EncodedCommand …`): such a command line runs
 * `pwsh -NoProfile` with the same arguments instead of `/bin/sh -c`. The program may be named in
 * any case, with or without a Windows path (C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe).
 * Its arguments are split the way Windows programs split their command line (CommandLineToArgvW);
 * `-WindowStyle` (meaningless here, refused by pwsh on Linux) is dropped. A line with cmd.exe's
 * operators (`|`, `&`, `<`, `>`) outside quotes is left to the shell.
 */

/** Split a Windows command line into arguments (MSVC rules: quotes, and backslashes before quotes). */
export function splitWindowsArgs(line: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\') {
      let n = 0;
      while (line[i + n] === '\\') n++;
      if (line[i + n] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else quoted = !quoted;
        i += n;
      } else {
        cur += '\\'.repeat(n);
        i += n - 1;
      }
      inArg = true;
      continue;
    }
    if (ch === '"') {
      // Inside quotes, "" is one literal quote (the msvcrt rule since 2008).
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else {
        quoted = !quoted;
      }
      inArg = true;
      continue;
    }
    if (!quoted && (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n')) {
      if (inArg) args.push(cur);
      cur = '';
      inArg = false;
      continue;
    }
    cur += ch;
    inArg = true;
  }
  if (inArg) args.push(cur);
  return args;
}

/** cmd.exe's operators outside double quotes: such a line is not one program with its arguments. */
function hasShellOperators(line: string): boolean {
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '|' || ch === '&' || ch === '<' || ch === '>')) return true;
  }
  return false;
}

/** Whether a program name (path and case aside) is Windows PowerShell's. */
export function isPowerShellName(program: string): boolean {
  const base = program.slice(Math.max(program.lastIndexOf('\\'), program.lastIndexOf('/')) + 1).toLowerCase();
  return base === 'powershell' || base === 'powershell.exe';
}

/** pwsh's arguments for Windows PowerShell's: -NoProfile first, -WindowStyle and its value left out. */
function pwshArgs(args: string[]): string[] {
  const out = ['-NoProfile'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (/^-w(i(n(d(o(w(s(t(y(le?)?)?)?)?)?)?)?)?)?$/i.test(a)) {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * The argv that runs this cmd-shell command with pwsh, or undefined when it is no PowerShell
 * call. `line` is the whole command line (Command and Arguments joined), or with
 * WINRS_SKIP_CMD_SHELL `program` and `args` are taken as they are.
 */
export function powerShellArgv(pwshPath: string, line: string, skipShell: boolean, program: string, args: string[]): string[] | undefined {
  if (skipShell) return isPowerShellName(program.trim()) ? [pwshPath, ...pwshArgs(args)] : undefined;
  const trimmed = line.trim();
  // Cheap test first: most commands are not PowerShell at all.
  if (!/powershell/i.test(trimmed)) return undefined;
  if (hasShellOperators(trimmed)) return undefined;
  const argv = splitWindowsArgs(trimmed);
  if (argv.length === 0 || !isPowerShellName(argv[0]!)) return undefined;
  return [pwshPath, ...pwshArgs(argv.slice(1))];
}
