/** Test certificates made on the fly: a CA, certificates it signs, and self-signed ones. */
import { generateKeyPairSync, createHash } from 'node:crypto';
import forge from 'node-forge';

export interface TestCert {
  cert: string;
  key: string;
  /** SHA-1 thumbprint, uppercase hex. */
  thumbprint: string;
  forgeCert: forge.pki.Certificate;
  forgeKey: forge.pki.rsa.PrivateKey;
}

let serial = 1;

function keyPair(): { pub: forge.pki.rsa.PublicKey; priv: forge.pki.rsa.PrivateKey; pem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const priv = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  const pub = forge.pki.setRsaPublicKey(priv.n, priv.e);
  return { pub, priv, pem: privateKey };
}

export function makeCert(opts: { cn: string; altNames?: string[]; ips?: string[]; issuer?: TestCert; isCa?: boolean; clientAuth?: boolean }): TestCert {
  const kp = keyPair();
  const c = forge.pki.createCertificate();
  c.publicKey = kp.pub;
  c.serialNumber = String(100 + serial++).padStart(4, '0');
  c.validity.notBefore = new Date(Date.now() - 3600_000);
  c.validity.notAfter = new Date(Date.now() + 86_400_000);
  c.setSubject([{ name: 'commonName', value: opts.cn }]);
  c.setIssuer(opts.issuer ? opts.issuer.forgeCert.subject.attributes : [{ name: 'commonName', value: opts.cn }]);
  const ext: object[] = [{ name: 'basicConstraints', cA: opts.isCa === true }];
  if (!opts.isCa) {
    const alt = [...(opts.altNames ?? []).map((v) => ({ type: 2, value: v })), ...(opts.ips ?? []).map((ip) => ({ type: 7, ip }))];
    if (alt.length) ext.push({ name: 'subjectAltName', altNames: alt });
    ext.push({ name: 'extKeyUsage', serverAuth: !opts.clientAuth, clientAuth: opts.clientAuth === true });
  } else {
    ext.push({ name: 'keyUsage', keyCertSign: true, digitalSignature: true, cRLSign: true });
  }
  c.setExtensions(ext);
  c.sign(opts.issuer ? opts.issuer.forgeKey : kp.priv, forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(c);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes(), 'binary');
  return { cert: pem, key: kp.pem, thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(), forgeCert: c, forgeKey: kp.priv };
}

/** A PFX holding a certificate and its key. */
export function toPfx(c: TestCert, password: string): Buffer {
  const p12 = forge.pkcs12.toPkcs12Asn1(c.forgeKey, [c.forgeCert], password, { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}
