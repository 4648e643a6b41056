/**
 * Live against real PowerShell: our serialize -> PowerShell's Deserialize -> PowerShell's
 * Serialize -> our deserialize is the identity, for fast-check generated batches (pwsh runs once
 * per batch). Values stay within what PowerShell keeps unchanged (see clixml-arbitraries.ts).
 */
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { deserializeObjs, serializeObjs, PSObject, type PSValue } from '../../src/psrp/clixml/index.js';
import { faithfulValue, memberKey } from './clixml-arbitraries.js';
import { NO_PWSH_REASON, PWSH, runPwsh } from './pwsh.js';

/** FC_SEED=<n> replays a run (fast-check prints the seed and path of a failure); unset, each run draws new batches. */
const FC_SEED = process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {};

const SCRIPT = path.join(REPO_ROOT, 'test', 'psrp', 'clixml-roundtrip.ps1');

/** A Hashtable's entries in key order: PowerShell rebuilds it, so its order is the hash's, not ours. */
function sortHashtables(v: PSValue): PSValue {
  if (!(v instanceof PSObject)) return v;
  if (v.dict && v.typeNames[0] === 'System.Collections.Hashtable') v.dict.sort(([a], [b]) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  for (const x of [...v.adapted.values(), ...v.extended.values(), ...(v.list ?? [])]) sortHashtables(x);
  return v;
}

async function throughPowerShell(values: PSValue[]): Promise<PSValue[]> {
  const { stdout, stderr, code } = await runPwsh(SCRIPT, serializeObjs(values));
  if (code !== 0) throw new Error(`pwsh exited ${code}: ${stderr.slice(0, 2000)}`);
  const docs = stdout.split('\n<!--next-->\n');
  return docs.flatMap((d) => deserializeObjs(d));
}

describe.skipIf(!PWSH)(`CLIXML against PowerShell's own serializer${PWSH ? '' : ` (skipped: ${NO_PWSH_REASON})`}`, () => {
  it('round-trips generated batches unchanged', async () => {
    await fc.assert(fc.asyncProperty(fc.array(faithfulValue, { minLength: 50, maxLength: 60 }), async (batch) => {
      const back = await throughPowerShell(batch);
      expect(back).toHaveLength(batch.length);
      for (let i = 0; i < batch.length; i++) expect([i, sortHashtables(back[i]!)]).toEqual([i, sortHashtables(batch[i]!)]);
    }), { numRuns: 3, endOnFailure: true, ...FC_SEED });
  }, 120_000);

  it('merges properties whose names differ only in case (why faithfulValue keeps such names apart)', async () => {
    const obj = new PSObject({ typeNames: ['Deserialized.X', 'Deserialized.System.Object'], adapted: [['T', 1], ['t', 2]], extended: [['u', 3], ['U', 4]] });
    const [back] = await throughPowerShell([obj]);
    expect(back).toBeInstanceOf(PSObject);
    const b = back as PSObject;
    expect(b.adapted.size).toBe(1);
    expect(b.extended.size).toBe(1);
    expect(memberKey([...b.adapted.keys()][0]!)).toBe('T');
    expect(memberKey([...b.extended.keys()][0]!)).toBe('U');
  }, 60_000);
});
