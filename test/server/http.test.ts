/** Listener HTTP layer: Identify, authentication, 401/413 shapes, unencrypted refusal, header faults. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Action, ResourceURI, decodeMessage } from '../../src/core/index.js';
import { startListener, post, call, envelope, faultCode, ALICE, type TestListener } from './helpers.js';

const IDENTIFY = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>';

let t: TestListener;
let strict: TestListener;
beforeAll(async () => {
  t = await startListener();
  strict = await startListener({ allowUnencrypted: false });
});
afterAll(async () => {
  await t.stop();
  await strict.stop();
});

describe('Identify', () => {
  it('answers unauthenticated Identify with WSMANIDENTIFY, without SecurityProfiles and with a zeroed version', async () => {
    const r = await post(t.url, IDENTIFY, { WSMANIDENTIFY: 'unauthenticated' }, null);
    expect(r.status).toBe(200);
    const m = decodeMessage(r.body);
    expect(m.body.kind).toBe('IdentifyResponse');
    if (m.body.kind !== 'IdentifyResponse') return;
    expect(m.body.productVendor).toBe('Microsoft Corporation');
    expect(m.body.productVersion).toBe('OS: 0.0.0 SP: 0.0 Stack: 3.0');
    expect(m.body.securityProfiles).toBeUndefined();
  });

  it('answers authenticated Identify with the Basic security profile', async () => {
    const r = await post(t.url, IDENTIFY);
    const m = decodeMessage(r.body);
    expect(m.body.kind === 'IdentifyResponse' && m.body.securityProfiles).toEqual(['http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/http/basic']);
  });

  it('accepts the misprinted identify namespace', async () => {
    const r = await post(t.url, IDENTIFY.replace('/identity/', '/identify/'), { WSMANIDENTIFY: 'unauthenticated' }, null);
    expect(r.status).toBe(200);
  });

  it('answers an unauthenticated request that is not Identify with 401 even with WSMANIDENTIFY', async () => {
    const r = await post(t.url, envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config), { WSMANIDENTIFY: 'unauthenticated' }, null);
    expect(r.status).toBe(401);
  });
});

describe('authentication', () => {
  it('answers 401 with the Basic challenge, Content-Length and a SOAP content type', async () => {
    const r = await post(t.url, envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config), {}, null);
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Basic realm="WSMAN"');
    expect(r.headers['content-length']).toBe('0');
    expect(r.headers['content-type']).toMatch(/^application\/soap\+xml/);
  });

  it('refuses a wrong password and an unknown user', async () => {
    const wrong = 'Basic ' + Buffer.from('alice:nope').toString('base64');
    const ghost = 'Basic ' + Buffer.from('ghost:secret').toString('base64');
    for (const auth of [wrong, ghost, 'Basic !!!', 'Bearer abc']) {
      const r = await post(t.url, envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config), {}, auth);
      expect(r.status).toBe(401);
    }
  });

  it('accepts DOMAIN\\user names for local users', async () => {
    const auth = 'Basic ' + Buffer.from('HOST\\alice:secret').toString('base64');
    const r = await post(t.url, envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config), {}, auth);
    expect(r.status).toBe(200);
  });

  it('refuses unsealed plain-HTTP traffic unless --allow-unencrypted', async () => {
    const r = await post(strict.url, envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config));
    expect(r.status).toBe(500);
    const m = decodeMessage(r.body);
    expect(faultCode(m)).toBe(5);
    expect(m.body.kind === 'Fault' && m.body.fault.message).toMatch(/unencrypted/i);
    // Unauthenticated Identify stays available.
    const id = await post(strict.url, IDENTIFY, { WSMANIDENTIFY: 'unauthenticated' }, null);
    expect(id.status).toBe(200);
  });
});

describe('HTTP', () => {
  it('answers 404 off the application path and 405 for GET', async () => {
    const r = await post(t.url.replace('/wsman', '/other'), IDENTIFY);
    expect(r.status).toBe(404);
  });

  it('answers 413 for a body over MaxEnvelopeSizekb without reading it, and keeps serving', async () => {
    const big = Buffer.alloc(600 * 1024, 0x20);
    const r = await post(t.url, big, {}, ALICE, false);
    expect(r.status).toBe(413);
    const ok = await call(t.url, Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config);
    expect(ok.status).toBe(200);
  });

  it('answers an empty authenticated POST with 200 and an empty body', async () => {
    const r = await post(t.url, '');
    expect(r.status).toBe(200);
    expect(r.body).toBe('');
  });

  it('sets Content-Length on SOAP answers and keeps the connection alive', async () => {
    const r = await post(t.url, IDENTIFY);
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    expect(r.headers['connection']).not.toBe('close');
  });
});

describe('faults', () => {
  it('Get of the config resource returns MaxEnvelopeSizekb and MaxTimeoutms', async () => {
    const r = await call(t.url, Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config);
    expect(r.msg.body.kind).toBe('Config');
    if (r.msg.body.kind !== 'Config') return;
    expect(r.msg.body.config.MaxEnvelopeSizekb).toBe('500');
    expect(r.msg.body.config.MaxTimeoutms).toBe('60000');
  });

  it('malformed XML gets a Sender fault with HTTP 500 and RelatesTo when the MessageID is readable', async () => {
    const r = await post(t.url, '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header><a:MessageID xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing">uuid:11111111-2222-3333-4444-555555555555</a:MessageID></s:Header><s:Body><oops></s:Body>');
    expect(r.status).toBe(500);
    const m = decodeMessage(r.body);
    expect(m.body.kind === 'Fault' && m.body.fault.soapCode).toBe('Sender');
    expect(m.headers.relatesTo).toBe('uuid:11111111-2222-3333-4444-555555555555');
  });

  it('an unknown action is ActionNotSupported, with RelatesTo', async () => {
    const r = await call(t.url, 'http://example.org/NoSuchAction', { kind: 'Empty' }, {}, ResourceURI.Config);
    expect(r.status).toBe(500);
    expect(faultCode(r.msg)).toBe(2150858771);
    expect(r.msg.headers.relatesTo).toBe(r.requestId);
    expect(r.msg.body.kind === 'Fault' && r.msg.body.fault.subcode).toBe('a:ActionNotSupported');
  });

  it('an unknown resource URI is InvalidResourceURI', async () => {
    const r = await call(t.url, Action.Create, { kind: 'Shell', shell: {} }, {}, 'http://example.org/nothing');
    expect(faultCode(r.msg)).toBe(2150858811);
  });

  it('MaxEnvelopeSize under 8192 is EncodingLimit', async () => {
    const r = await call(t.url, Action.Get, { kind: 'Empty' }, { maxEnvelopeSize: 4096 }, ResourceURI.Config);
    expect(faultCode(r.msg)).toBe(2150858805);
    expect(r.msg.body.kind === 'Fault' && r.msg.body.fault.subcode).toBe('w:EncodingLimit');
  });

  it('a missing MessageID and a missing ReplyTo are addressing faults', async () => {
    const noId = await post(t.url, envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config).replace(/<a:MessageID>[^<]*<\/a:MessageID>/, ''));
    expect(faultCode(decodeMessage(noId.body))).toBe(2150858767);
    const noReply = await post(t.url, envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config).replace(/<a:ReplyTo>.*?<\/a:ReplyTo>/, ''));
    expect(faultCode(decodeMessage(noReply.body))).toBe(2150858769);
  });

  it('an unknown header marked mustUnderstand is MustUnderstand; a Locale marked so is UnsupportedFeature', async () => {
    const xml = envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config)
      .replace('<s:Header>', '<s:Header><x:Weird xmlns:x="urn:weird" s:mustUnderstand="true">1</x:Weird>');
    const r = await post(t.url, xml);
    const m = decodeMessage(r.body);
    expect(faultCode(m)).toBe(2150858768);
    expect(m.body.kind === 'Fault' && m.body.fault.soapCode).toBe('MustUnderstand');
    const loc = await call(t.url, Action.Get, { kind: 'Empty' }, { localeMustUnderstand: true }, ResourceURI.Config);
    expect(faultCode(loc.msg)).toBe(2150858818);
  });

  it('a bad OperationTimeout is InvalidMessageInformationHeader', async () => {
    const xml = envelope(Action.Get, { kind: 'Empty' }, {}, ResourceURI.Config).replace(/<w:OperationTimeout>[^<]*</, '<w:OperationTimeout>PT-1S<');
    const r = await post(t.url, xml);
    expect(faultCode(decodeMessage(r.body))).toBe(2150858767);
  });

  it('accepts other prefixes, header order, MessageIDs without uuid: and ignores a:To', async () => {
    const xml = '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><env:Header>' +
      '<wsman:ResourceURI env:mustUnderstand="1">http://schemas.microsoft.com/wbem/wsman/1/config</wsman:ResourceURI>' +
      '<wsa:MessageID>ABCDEF01-2345-6789-ABCD-EF0123456789</wsa:MessageID><wsa:To>http://elsewhere/x</wsa:To>' +
      '<wsa:ReplyTo><wsa:Address env:mustUnderstand="TRUE">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address></wsa:ReplyTo>' +
      '<wsman:OperationTimeout>P0DT0H1M</wsman:OperationTimeout>' +
      '<wsa:Action env:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</wsa:Action></env:Header><env:Body/></env:Envelope>';
    const r = await post(t.url, xml);
    expect(r.status).toBe(200);
    expect(decodeMessage(r.body).headers.relatesTo).toBe('ABCDEF01-2345-6789-ABCD-EF0123456789');
  });
});
