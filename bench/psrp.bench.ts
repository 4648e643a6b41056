/**
 * PSRP throughput. CLIXML: deserialize and serialize of an <Objs> document of 2000 custom objects
 * (type names, TNRef, nested object, DateTime, list), beside fast-xml-parser's raw parse of the same
 * text in the same run (ratio = ours / raw; MB = 10^6 characters). With PowerShell present
 * (~/.dotnet/tools/pwsh or $PWSH): small pipelines per second in one pool over `pwsh -s`, and
 * objects per second for `1..200000`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { deserializeObjs, serializeObjs, PSObject, ps, ClientRunspacePool, scriptSpec } from '../src/psrp/index.js';
import { OutOfProcessRunspace } from '../src/client/psrp/outofproc.js';
import type { BenchResult } from './run.js';

function document(): string {
  const values = Array.from({ length: 2000 }, (_, i) => new PSObject({
    typeNames: ['Deserialized.System.Diagnostics.Process', 'Deserialized.System.Object'],
    toStringText: `System.Diagnostics.Process (proc${i})`,
    adapted: [['Id', i], ['ProcessName', `proc${i}`], ['WorkingSet64', ps.int64(BigInt(i) * 4096n)], ['StartTime', ps.datetime(new Date(1_700_000_000_000 + i))]],
    extended: [['Modules', new PSObject({ typeNames: ['System.Collections.ArrayList', 'System.Object'], list: ['a.dll', 'b.dll', `c${i}.dll`] })]],
  }));
  return serializeObjs(values);
}

function perSecond(f: () => unknown, ms = 1500): number {
  for (let i = 0; i < 3; i++) f();
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(ms) * 1_000_000n) {
    f();
    n++;
    elapsed = process.hrtime.bigint() - start;
  }
  return n / (Number(elapsed) / 1e9);
}

async function live(pwsh: string): Promise<BenchResult[]> {
  const rs = new OutOfProcessRunspace(new ClientRunspacePool({ rpid: randomUUID() }), { executable: pwsh });
  const runScript = async (text: string): Promise<number> => {
    const pid = randomUUID();
    const p = rs.pool.createPipeline(pid);
    p.invoke(scriptSpec(text));
    await rs.flush();
    const events = await rs.until((e) => e.type === 'PipelineState' && e.pid === pid && e.state !== 'Stopping');
    p.close();
    await rs.flush();
    return events.filter((e) => e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT').length;
  };
  try {
    rs.pool.open();
    await rs.flush();
    await rs.until((e) => e.type === 'PoolState' && e.state === 'Opened');
    await runScript('1');
    let n = 0;
    const t0 = process.hrtime.bigint();
    while (process.hrtime.bigint() - t0 < 3_000_000_000n) {
      await runScript('1+1');
      n++;
    }
    const pipelines = n / (Number(process.hrtime.bigint() - t0) / 1e9);
    const t1 = process.hrtime.bigint();
    const count = await runScript('1..200000');
    const objects = count / (Number(process.hrtime.bigint() - t1) / 1e9);
    return [
      { name: 'psrp pwsh -s: small pipelines (1+1) per second in one pool', unit: 'pipelines/s', value: pipelines },
      { name: 'psrp pwsh -s: output objects per second (1..200000)', unit: 'objects/s', value: objects },
    ];
  } finally {
    rs.kill();
  }
}

export async function run(): Promise<BenchResult[]> {
  const text = document();
  const mb = text.length / 1e6;
  const raw = new XMLParser({ ignoreAttributes: false });
  const rawMBs = perSecond(() => raw.parse(text)) * mb;
  const values = deserializeObjs(text, { maxElements: 10_000_000 });
  const deMBs = perSecond(() => deserializeObjs(text, { maxElements: 10_000_000 })) * mb;
  const serMBs = perSecond(() => serializeObjs(values)) * mb;
  const out: BenchResult[] = [
    { name: `clixml deserialize (${mb.toFixed(2)} MB, 2000 objects) vs fast-xml-parser raw parse`, unit: 'MB/s', value: deMBs, baseline: rawMBs, ratio: deMBs / rawMBs },
    { name: 'clixml serialize (same document) vs fast-xml-parser raw parse', unit: 'MB/s', value: serMBs, baseline: rawMBs, ratio: serMBs / rawMBs },
  ];
  const pwsh = [process.env.PWSH, path.join(os.homedir(), '.dotnet', 'tools', 'pwsh')].find((p) => p && existsSync(p));
  if (pwsh) out.push(...(await live(pwsh)));
  else process.stderr.write('bench psrp: pwsh not found, the pwsh -s rows are skipped\n');
  return out;
}
