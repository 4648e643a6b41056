/**
 * PowerShell remoting over WS-Man (MS-PSRP §3.1.5 with MS-WSMV's shell operations): open and close
 * a runspace pool, run a pipeline, Disconnect and Reconnect, Connect from a second client.
 * Destructive (they start PowerShell sessions). Each skips, saying why, when the endpoint offers no
 * PowerShell configuration (Microsoft.PowerShell's Create faults with an unknown resource).
 */
import { Action } from '../../core/index.js';
import { type Check, pass, fail } from '../types.js';
import { describeReply } from './expect.js';
import { PsClient } from './powershell-ops.js';

const COMMON = { category: 'powershell', severity: 'should', destructive: true, profile: 'winrm' } as const;
const same = (a: unknown[], b: unknown[]): boolean => JSON.stringify(a) === JSON.stringify(b);

export const powershellChecks: Check[] = [
  {
    ...COMMON, id: 'PS-001', title: 'A PowerShell runspace pool opens from creationXml and closes with Delete',
    spec: 'MS-PSRP §3.1.4.1, §3.1.5.3.1 (wxf:Create creationXml); MS-WSMV §3.1.4.1.32',
    async run(ctx) {
      const ps = new PsClient(ctx);
      await ps.create();
      if (!(await ps.opened())) return fail(`the pool did not open (its state is ${ps.pool.state})`);
      const d = await ps.delete();
      return d.status === 200 ? pass(`server protocol ${ps.pool.serverProtocolVersion ?? '?'}`) : fail(`Delete answered ${describeReply(d)}`);
    },
  },
  {
    ...COMMON, id: 'PS-002', title: 'A pipeline runs: Command with its id, Receive until Done, its output in order, state Completed',
    spec: 'MS-PSRP §3.1.4.3, §3.1.5.3.3 (Command Arguments), §3.1.5.3.5 (Receive)',
    async run(ctx) {
      const ps = new PsClient(ctx);
      await ps.create();
      if (!(await ps.opened())) return fail(`the pool did not open (its state is ${ps.pool.state})`);
      const r = await ps.run('1..5 | ForEach-Object { $_ * 2 }');
      await ps.delete();
      if (r.state !== 'Completed') return fail(`the pipeline ended ${r.state ?? 'without Done'}`);
      return same(r.output, [2, 4, 6, 8, 10]) ? pass() : fail(`output ${JSON.stringify(r.output).slice(0, 200)}`);
    },
  },
  {
    ...COMMON, id: 'PS-003', title: 'Disconnect and Reconnect: a pipeline runs on, and each object arrives once, in order',
    spec: 'MS-PSRP §3.1.4.9, §3.1.4.10; MS-WSMV §3.1.4.15, §3.1.4.16',
    async run(ctx) {
      const ps = new PsClient(ctx);
      await ps.create();
      if (!(await ps.opened())) return fail(`the pool did not open (its state is ${ps.pool.state})`);
      const cid = await ps.start('1..20 | ForEach-Object { $_; Start-Sleep -Milliseconds 40 }');
      const d = await ps.op('Disconnect', Action.Disconnect, { kind: 'Disconnect' });
      if (d.status !== 200) return fail(`Disconnect answered ${describeReply(d)}`);
      ps.pool.disconnected();
      const rc = await ps.op('Reconnect', Action.Reconnect, { kind: 'Reconnect' });
      if (rc.status !== 200) return fail(`Reconnect answered ${describeReply(rc)}`);
      ps.pool.reconnected();
      const r = await ps.collect(cid);
      await ps.delete();
      const want = Array.from({ length: 20 }, (_, i) => i + 1);
      if (!same(r.output, want)) return fail(`after Reconnect the output was ${JSON.stringify(r.output).slice(0, 200)}`);
      return r.state === 'Completed' ? pass() : fail(`the pipeline ended ${r.state ?? 'without Done'}`);
    },
  },
  {
    ...COMMON, id: 'PS-004', title: 'Connect from a second client to a disconnected pool (connectXml) opens it there, and it runs pipelines',
    spec: 'MS-PSRP §3.1.4.11 (CONNECT_RUNSPACEPOOL), §3.1.5.3.12; MS-WSMV §3.1.4.17',
    async run(ctx) {
      const first = new PsClient(ctx);
      await first.create();
      if (!(await first.opened())) return fail(`the pool did not open (its state is ${first.pool.state})`);
      const d = await first.op('Disconnect', Action.Disconnect, { kind: 'Disconnect' });
      if (d.status !== 200) return fail(`Disconnect answered ${describeReply(d)}`);
      const second = new PsClient(ctx, { rpid: first.pool.rpid, secondClient: true });
      const c = await second.connect(first.shellId);
      const b = c.message?.body;
      if (b?.kind !== 'ConnectResponse') return fail(`Connect answered ${describeReply(c)}`);
      if (!b.connectResponseXml) return fail('ConnectResponse without connectResponseXml');
      if (!(await second.opened())) return fail(`the pool did not open for the second client (its state is ${second.pool.state})`);
      const r = await second.run('6 * 7');
      await second.delete();
      return same(r.output, [42]) ? pass() : fail(`the second client's pipeline gave ${JSON.stringify(r.output).slice(0, 200)}`);
    },
  },
];
