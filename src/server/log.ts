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

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  return {
    level,
    log(lv, msg, fields) {
      if (ORDER[lv] < ORDER[this.level]) return;
      const rec: Record<string, unknown> = { time: new Date().toISOString(), level: lv, msg };
      if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined && !SECRET.test(k)) rec[k] = v;
      write(JSON.stringify(rec) + '\n');
    },
  };
}
