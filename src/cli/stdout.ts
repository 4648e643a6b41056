/**
 * Standard output that may close under us (`wsman run … | head -n 3`): as ssh does on SIGPIPE,
 * the CLI notices, stops writing and winds the remote side down instead of dying on an unhandled
 * EPIPE. Node ignores SIGPIPE, so a closed pipe shows up as an 'error' on process.stdout.
 */

/** Exit status after stdout closed: 128 + SIGPIPE, what a shell reports for `ssh … | head`. */
export const EXIT_STDOUT_CLOSED = 141;

let closed = false;
let installed = false;
const listeners = new Set<() => void>();

function install(): void {
  if (installed) return;
  installed = true;
  // Any error writing stdout (EPIPE, ECONNRESET on a socket, a destroyed stream) means nobody reads it.
  process.stdout.on('error', () => {
    if (closed) return;
    closed = true;
    for (const l of [...listeners]) l();
  });
}

// Installed as soon as the CLI loads this module: no command dies on an unhandled EPIPE.
install();

/** Call `fn` once stdout's reader has gone away; returns the function that stops watching. */
export function onStdoutClosed(fn: () => void): () => void {
  install();
  if (closed) {
    queueMicrotask(fn);
    return () => undefined;
  }
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Whether stdout's reader has gone away. */
export function stdoutClosed(): boolean {
  return closed;
}

/** Write to stdout unless its reader has gone away (then the bytes are dropped, as nobody reads them). */
export function writeStdout(chunk: Buffer | string): void {
  install();
  if (!closed) process.stdout.write(chunk);
}

/**
 * `onFirst` on Ctrl-C or when stdout's reader goes away (`| head`), whichever comes first; a
 * second Ctrl-C exits at once (130). Returns the function that stops watching.
 */
export function onInterrupt(onFirst: () => void): () => void {
  let count = 0;
  const first = (): void => {
    if (++count === 1) onFirst();
  };
  const onSigint = (): void => {
    first();
    if (count > 1) process.exit(130);
  };
  process.on('SIGINT', onSigint);
  const unwatch = onStdoutClosed(first);
  return () => {
    process.off('SIGINT', onSigint);
    unwatch();
  };
}
