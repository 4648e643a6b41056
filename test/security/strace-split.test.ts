/**
 * The strace log reader the identity tests rely on: a uid switch that strace printed in two parts
 * (`<unfinished ...>`, then `<... setresuid resumed>`), as it does under load, still counts as the
 * switch, so what the process ran afterwards is not reported as run by root. It failed CI once.
 */
import { expect, it } from 'vitest';
import { privilegedCalls } from './strace.js';

it('a setresuid split by strace still ends the privileged part of its process', () => {
  const log = [
    '10 clone(child_stack=NULL, flags=SIGCHLD) = 11',
    '11 setresuid(1001, 1001, 1001 <unfinished ...>',
    '10 read(3, "", 1) = 0',
    '11 <... setresuid resumed>) = 0',
    '11 execve("/bin/sh", ["/bin/sh", "-c", "x TOKEN"], []) = 0',
  ].join('\n');
  expect(privilegedCalls(log).filter((c) => c.includes('TOKEN'))).toEqual([]);
  // And before the switch, the same call is still reported.
  expect(privilegedCalls('11 execve("/bin/sh", ["/bin/sh", "-c", "x TOKEN"], []) = 0').filter((c) => c.includes('TOKEN'))).toHaveLength(1);
});
