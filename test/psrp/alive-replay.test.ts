/**
 * test_psrp_is_alive_other_wsman_error replayed (pypsrp's recording): pypsrp broke its is_alive
 * Get on purpose with OperationTimeout `PT-1S`, and Windows refused it with a WSManFault. We send
 * the same Get with isAlive's `operationTimeout: -1000`, which our encoder writes as the xs:duration
 * `-PT1S` (the replay server does not compare OperationTimeout; this test compares it and says how it
 * differs). pypsrp's test expects the fault raised (not "not alive"), with Windows' reason, and the
 * pool still Opened.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WsmanClient } from '../../src/client/client.js';
import { RunspacePool } from '../../src/client/psrp/powershell.js';
import { isAlive } from '../../src/client/psrp/alive.js';
import { WsmanFaultError } from '../../src/core/errors.js';
import { Action } from '../../src/core/index.js';
import { startReplay, type Replay } from './replay-server.js';

const open: Array<{ replay: Replay; client: WsmanClient }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.client.close();
    await o.replay.close();
  }
});

const operationTimeout = (xml: string): string | undefined => /<(?:\w+:)?OperationTimeout>([^<]*)</.exec(xml)?.[1];

describe('test_psrp_is_alive_other_wsman_error, replayed', () => {
  it('the Get with a negative OperationTimeout gets Windows\' fault, thrown as WsmanFaultError; the pool stays Opened', async () => {
    // The one header we cannot send as recorded: pypsrp's `PT-1S` is no xs:duration; ours is the same
    // minus one second in xs:duration's form, `-PT1S`. Neither decodes (a negative duration), so the
    // replay sees both as PT1S, and this test checks the two values itself.
    const rewritten: string[] = [];
    const replay = await startReplay('test_psrp_is_alive_other_wsman_error.yml', {
      normalize: (xml) => xml.replace(/(OperationTimeout>)(PT-1S|-PT1S)</, (_m, open: string, v: string) => (rewritten.push(v), `${open}PT1S<`)),
    });
    expect(rewritten).toEqual(['PT-1S']); // the recording's, rewritten when loaded
    const client = new WsmanClient({ endpoint: { connectionUri: replay.url } });
    open.push({ replay, client });
    const pool = await RunspacePool.open(client, { poolReceive: false, idleTimeout: 60_000, instanceId: replay.ids.rpids[0]!, shellId: replay.ids.shellIds[0]! });
    const sent: string[] = [];
    const exchangeXml = client.exchangeXml.bind(client);
    vi.spyOn(client, 'exchangeXml').mockImplementation((action, id, xml, opts) => {
      if (action === Action.Get) sent.push(xml);
      return exchangeXml(action, id, xml, opts);
    });
    const err = await isAlive(pool, { operationTimeout: -1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WsmanFaultError);
    // pypsrp's WSManFaultError.reason is the WSManFault's Message (ours: wsmanMessage), stripped.
    expect((err as WsmanFaultError).wsmanMessage?.trim()).toBe('The WS-Management service cannot process the request. The XML contains an invalid timeout field in the SOAP header: PT-1S.');
    expect((err as WsmanFaultError).wsmanCode).toBe(2150858767);
    expect(pool.core.state).toBe('Opened');
    expect(sent.map(operationTimeout)).toEqual(['-PT1S']);
    expect(rewritten).toEqual(['PT-1S', '-PT1S']);
    await pool.close();
    expect(replay.mismatches).toEqual([]);
    expect(replay.served()).toBe(replay.exchanges.length);
    const { ours, recorded } = replay.clientMessages();
    expect(ours).toEqual(recorded);
  });
});
