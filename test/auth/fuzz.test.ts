/** Hostile tokens: random and mutated NTLM/SPNEGO input only ever raises WsmanAuthError. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NegotiateClientContext, NegotiateServerContext } from '../../src/auth/negotiate.js';
import { NtlmClientContext } from '../../src/auth/ntlm/client.js';
import { NtlmServerContext } from '../../src/auth/ntlm/server.js';
import { ntHash } from '../../src/auth/ntlm/compute.js';
import { WsmanAuthError } from '../../src/core/errors.js';

const lookup = (u: string): Uint8Array | undefined => (u === 'alice' ? ntHash('pw') : undefined);

function onlyAuthErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WsmanAuthError)) throw e;
  }
}

function mutations(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.nat(base.length).map((n) => base.slice(0, n)),
    fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((edits) => { const b = new Uint8Array(base); for (const [i, v] of edits) b[i] = v; return b; }),
  );
}

describe('hostile tokens', () => {
  const client = new NtlmClientContext({ username: 'alice', password: 'pw' });
  const negotiate = client.step().token!;
  const server = new NtlmServerContext({ lookup });
  const challenge = server.step(negotiate).token!;
  const authenticate = client.step(challenge).token!;

  it('server: mutated NEGOTIATE, then mutated AUTHENTICATE', () => {
    fc.assert(fc.property(mutations(negotiate), mutations(authenticate), (n, a) => {
      const s = new NtlmServerContext({ lookup });
      onlyAuthErrors(() => s.step(n));
      onlyAuthErrors(() => s.step(a));
    }), { numRuns: 400 });
  });

  it('client: mutated CHALLENGE', () => {
    fc.assert(fc.property(mutations(challenge), (c) => {
      const cl = new NtlmClientContext({ username: 'alice', password: 'pw' });
      cl.step();
      onlyAuthErrors(() => cl.step(c));
    }), { numRuns: 400 });
  });

  it('Negotiate both sides: mutated SPNEGO tokens', () => {
    const nc = new NegotiateClientContext({ username: 'alice', password: 'pw' });
    const t1 = nc.step().token!;
    const ns = new NegotiateServerContext({ lookup });
    const t2 = ns.step(t1).token!;
    const t3 = nc.step(t2).token!;
    fc.assert(fc.property(mutations(t1), mutations(t3), mutations(t2), (a, b, c) => {
      const s = new NegotiateServerContext({ lookup });
      onlyAuthErrors(() => s.step(a));
      onlyAuthErrors(() => s.step(b));
      const cl = new NegotiateClientContext({ username: 'alice', password: 'pw' });
      cl.step();
      onlyAuthErrors(() => cl.step(c));
    }), { numRuns: 300 });
  });

  it('a mutated AUTHENTICATE never logs anyone in', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(authenticate.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }), (edits) => {
      const cl = new NtlmClientContext({ username: 'alice', password: 'pw', randomBytes: (n) => new Uint8Array(n).fill(7), filetime: () => 1n });
      const s = new NtlmServerContext({ lookup, randomBytes: (n) => new Uint8Array(n).fill(9), filetime: () => 2n });
      const ch = s.step(cl.step().token!).token!;
      const a = new Uint8Array(cl.step(ch).token!);
      let changed = false;
      for (const [i, x] of edits) { const before = a[i]; a[i] = (a[i]! ^ x) & 0xff; changed ||= a[i] !== before; }
      if (!changed) return;
      let ok = false;
      try { ok = s.step(a).done; } catch (e) { expect(e).toBeInstanceOf(WsmanAuthError); }
      // The MIC covers every byte of the message, so any accepted change would be a hole.
      expect(ok).toBe(false);
    }), { numRuns: 300 });
  });
});
