/**
 * Structured log lines (one JSON object a line on stderr by default): time, level, message and
 * fields. Callers never pass credentials; `redact` drops any field whose name looks secret anyway.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SECRET = /pass|secret|token|authorization|cookie|key|hash/i;

export interface Logger {
  level: LogLevel;
  log(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>): void;
}

export function parseLogLevel(text: string): LogLevel {
  const t = text.toLowerCase();
  if (t in ORDER) return t as LogLevel;
  throw new Error(`unknown log level '${text}' (debug, info, warn, error, silent)`);
}

/** Whether a field may be logged (its name does not look secret), remembered per name: call sites use a few fixed names. */
const keyAllowed = new Map<string, boolean>();
function allowed(key: string): boolean {
  let ok = keyAllowed.get(key);
  if (ok === undefined) {
    ok = !SECRET.test(key);
    if (keyAllowed.size < 1024) keyAllowed.set(key, ok);
  }
  return ok;
}

/** The ISO time of the last millisecond asked for (one toISOString per millisecond, not per line). */
let lastMs = -1;
let lastIso = '';
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** Writers with lines waiting, flushed together at exit. */
const pending = new Set<{ flush(): void }>();
let exitHooked = false;

/**
 * A line writer that hands lines to `out` in batches: one call per event-loop turn (setImmediate)
 * instead of one synchronous stderr write per request; whatever is waiting is written at process
 * exit, and a line of level error is written at once with what is before it.
 */
export function batchedWriter(out: (chunk: string) => void = (chunk) => { process.stderr.write(chunk); }): ((line: string) => void) & { flush(): void } {
  let buf = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    pending.delete(writer);
    if (buf === '') return;
    const chunk = buf;
    buf = '';
    out(chunk);
  };
  const writer = Object.assign((line: string): void => {
    buf += line;
    if (buf.length > 65536 || line.includes('"level":"error"')) {
      flush();
      return;
    }
    if (!scheduled) {
      scheduled = true;
      pending.add(writer);
      setImmediate(flush).unref();
    }
  }, { flush });
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => { for (const w of [...pending]) w.flush(); });
  }
  return writer;
}

/**
 * A logger. `write` gets each line (with its newline); by default lines go to stderr in batches
 * (batchedWriter), so a busy listener does not pay a write system call per request.
 */
export function createLogger(level: LogLevel, write: (line: string) => void = batchedWriter()): Logger {
  return {
    level,
    log(lv, msg, fields) {
      if (ORDER[lv] < ORDER[this.level]) return;
      const rec: Record<string, unknown> = { time: isoNow(), level: lv, msg };
      if (fields) for (const k in fields) if (Object.hasOwn(fields, k) && fields[k] !== undefined && allowed(k)) rec[k] = fields[k];
      write(JSON.stringify(rec) + '\n');
    },
  };
}
