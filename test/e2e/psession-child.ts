/**
 * "Another computer" for the PowerShell session examples (psession.test.ts): a separate process
 * that does Connect-PSSession and Receive-PSSession of a pipeline it did not start, then
 * Remove-PSSession, and prints one JSON line: the outputs and the final pipeline state.
 * Usage: node --import tsx psession-child.ts URL SHELLID RPID PID
 */
import { WsmanClient } from '../../src/client/client.js';
import { WsmanRunspace } from '../../src/client/psrp/wsman.js';
import { eventsUntil } from '../../src/client/psrp/transport.js';
import { ClientRunspacePool, type PsrpEvent } from '../../src/psrp/pool.js';

const [url, shellId, rpid, pid] = process.argv.slice(2) as [string, string, string, string];
const client = new WsmanClient({ endpoint: { connectionUri: url }, credential: { username: 'alice', password: 'secret' }, authentication: 'basic', allowUnencrypted: true });
const pool = new ClientRunspacePool({ rpid });
const t = await WsmanRunspace.connect(client, pool, shellId);
await eventsUntil(t, (e) => e.type === 'PoolState' && e.state === 'Opened');
await t.settled();
await t.connectPipeline(pid);
const events = await eventsUntil(t, (e: PsrpEvent) => e.type === 'PipelineState' && ['Completed', 'Failed', 'Stopped'].includes(e.state));
await t.settled();
const output = events.flatMap((e) => (e.type === 'Message' && e.message.type === 'PIPELINE_OUTPUT' ? [e.message.value] : []));
const last = events.at(-1);
pool.close();
await t.flush();
await client.close();
process.stdout.write(JSON.stringify({ output, state: last?.type === 'PipelineState' ? last.state : undefined, poolState: pool.state }) + '\n');
