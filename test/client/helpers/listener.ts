/** Our own listener (src/server) on 127.0.0.1 port 0, HTTP and HTTPS, with user alice:secret. */
import { userInfo } from 'node:os';
import { WsmanListener, UserStore, hashPassword, selfSigned, thumbprintOfPem, createLogger } from '../../../src/server/index.js';
import { ntHash } from '../../../src/auth/ntlm/compute.js';

export interface TestListener {
  listener: WsmanListener;
  httpUrl: string;
  httpsUrl: string;
  thumbprint: string;
  stop(): Promise<void>;
}

export const USER = { username: 'alice', password: 'secret' };

export async function startListener(extra: { redirect?: string } = {}): Promise<TestListener> {
  const users = new UserStore();
  // With an NT hash, as `wsman listen --user` makes it: default authentication (Negotiate) works.
  // The listener's own account runs alice's commands (a root listener refuses users without a local account).
  users.add({ name: USER.username, hash: await hashPassword(USER.password, 1024), ntHash: ntHash(USER.password), runAs: userInfo().username });
  const { cert, key } = selfSigned(['localhost', '127.0.0.1']);
  const thumbprint = thumbprintOfPem(cert);
  const listener = new WsmanListener({
    users, httpPort: 0, httpsPort: 0, allowUnencrypted: true,
    tls: { cert, key, thumbprint },
    logger: createLogger('silent'),
    ...(extra.redirect ? { redirect: extra.redirect } : {}),
  });
  const eps = await listener.start();
  const http = eps.find((e) => !e.secure);
  const https = eps.find((e) => e.secure);
  if (!http || !https) throw new Error('listener did not start both endpoints');
  return { listener, httpUrl: http.url, httpsUrl: https.url, thumbprint, stop: () => listener.stop() };
}
