/**
 * valueLine: a PowerShell value as the one line of text a text receiver (onData, a cmd-style job)
 * gets, as PowerShell's ToString gives it.
 */
import { describe, expect, it } from 'vitest';
import { valueLine } from '../../src/client/sessions/powershell.js';

describe('valueLine', () => {
  it('prints booleans as PowerShell does (True/False), null as nothing, and other primitives as text', () => {
    expect(valueLine(true)).toBe('True');
    expect(valueLine(false)).toBe('False');
    expect(valueLine(null)).toBe('');
    expect(valueLine(42)).toBe('42');
    expect(valueLine('text')).toBe('text');
  });
});
