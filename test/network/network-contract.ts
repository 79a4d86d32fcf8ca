/**
 * The contract every network backend honours, over the same lab (lab.ts): the real network against real
 * peers, and the simulated network described from the same plan. Same assertions, both backends.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { NetErrorKind, NetResult, NetworkPort } from '../../src/network/port';
import type { Lab } from './lab';

export interface NetworkHarness {
  port: NetworkPort;
  lab: Lab;
  close(): Promise<void>;
}

export function failsWith<T>(r: NetResult<T>, kind: NetErrorKind, reason?: RegExp): void {
  assert.equal(r.ok, false, `expected ${kind}, got ${JSON.stringify(r.ok ? r.value : null).slice(0, 200)}`);
  if (r.ok) return;
  assert.equal(r.error.kind, kind, r.error.message);
  assert.ok(!r.error.message.includes('\n'), 'the message is one line');
  if (reason) assert.match(r.error.reason ?? '', reason);
}

function cn(pem: string | undefined): string {
  return /CN=([^\n]*)/.exec(new X509Certificate(pem ?? '').subject)?.[1] ?? '';
}

export function networkContract(name: string, make: (ctx: Mocha.Context) => Promise<NetworkHarness>): void {
  describe(`network contract: ${name}`, function () {
    this.timeout(30_000);
    let h: NetworkHarness;
    before(async function () {
      h = await make(this);
    });
    after(async () => h?.close());

    describe('DNS', () => {
      it('returns every address of an HA Edge FQDN', async () => {
        const r = await h.port.resolve('ap.contoso.test', 'A');
        assert.ok(r.ok);
        assert.deepEqual([...r.value].sort(), ['127.0.0.11', '127.0.0.12']);
      });

      it('returns SRV records with target, port, priority and weight, names canonical', async () => {
        const r = await h.port.resolve('_sip._tls.CONTOSO.test.', 'SRV');
        assert.ok(r.ok);
        assert.deepEqual(r.value, [{ name: 'sipdir.online.test', port: 443, priority: 100, weight: 1 }]);
      });

      it('returns a CNAME target, and an A query follows it', async () => {
        const c = await h.port.resolve('alias.contoso.test', 'CNAME');
        assert.ok(c.ok);
        assert.deepEqual(c.value, ['ap2.contoso.test']);
        const a = await h.port.resolve('alias.contoso.test', 'A');
        assert.ok(a.ok);
        assert.deepEqual(a.value, ['127.0.0.13']);
      });

      it('says nxdomain for a name that does not exist', async () => {
        failsWith(await h.port.resolve('nothere.contoso.test', 'A'), 'nxdomain');
      });

      it('says nodata for a name without a record of that type', async () => {
        failsWith(await h.port.resolve('ap2.contoso.test', 'SRV'), 'nodata');
      });

      it('says timeout, within its bound, when the DNS server never answers', async () => {
        const started = Date.now();
        const r = await h.port.resolve('x.slow.test', 'A');
        failsWith(r, 'timeout');
        assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
      });
    });

    describe('TCP', () => {
      it('connects to a port that listens', async () => {
        const r = await h.port.probeTcp('127.0.0.51', h.lab.ports.open, 1000);
        assert.ok(r.ok);
        assert.equal(r.value.address, '127.0.0.51');
      });

      it('says refused for a port nothing listens on', async () => {
        failsWith(await h.port.probeTcp('127.0.0.51', h.lab.ports.closed, 1000), 'refused');
      });
    });

    describe('TLS', () => {
      it('returns the negotiated protocol and the chain as sent, verified against the given root', async () => {
        const r = await h.port.tlsHandshake({ host: '127.0.0.21', port: h.lab.ports.tls, servername: 'gw1.contoso.test', ca: [h.lab.certs.ca.certPem], timeoutMs: 2000 });
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        assert.equal(r.value.protocol, 'TLSv1.3');
        assert.deepEqual(r.value.chain.map(cn), ['gw1.contoso.test', 'Contoso Test CCE Root']);
        assert.equal(r.value.authorized, true);
        assert.equal(r.value.clientCertSent, false);
      });

      it('reports, not refuses, a chain that does not verify', async () => {
        const r = await h.port.tlsHandshake({ host: '127.0.0.21', port: h.lab.ports.tls, servername: 'gw1.contoso.test', ca: [h.lab.certs.rogue.certPem], timeoutMs: 2000 });
        assert.ok(r.ok);
        assert.equal(r.value.authorized, false);
        assert.ok(r.value.authorizationError);
      });

      it('MTLS: fails with the peer\'s "certificate required" when the bot presents none', async () => {
        failsWith(await h.port.tlsHandshake({ host: '127.0.0.22', port: h.lab.ports.mtls, servername: 'gwm.contoso.test', timeoutMs: 2000 }), 'tls-error', /certificate required/);
      });

      it('MTLS: completes with a client certificate from the CA the peer trusts', async () => {
        const r = await h.port.tlsHandshake({ host: '127.0.0.22', port: h.lab.ports.mtls, servername: 'gwm.contoso.test', clientCert: h.lab.certs.bot, timeoutMs: 2000 });
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        assert.equal(r.value.clientCertSent, true);
        assert.equal(cn(r.value.chain[0]), 'gwm.contoso.test');
      });

      it('MTLS: fails with "unknown ca" for a client certificate from another CA', async () => {
        failsWith(await h.port.tlsHandshake({ host: '127.0.0.22', port: h.lab.ports.mtls, servername: 'gwm.contoso.test', clientCert: h.lab.certs.rogueBot, timeoutMs: 2000 }), 'tls-error', /unknown ca/);
      });

      it('says timeout when the peer accepts TCP and never answers the handshake', async () => {
        const started = Date.now();
        failsWith(await h.port.tlsHandshake({ host: '127.0.0.41', port: h.lab.ports.silent, servername: 'silent.contoso.test', timeoutMs: 300 }), 'timeout');
        assert.ok(Date.now() - started < 1000);
      });
    });

    describe('SIP OPTIONS', () => {
      it('over TCP: the final response, its code and latency', async () => {
        const r = await h.port.sipOptions({ host: '127.0.0.31', port: h.lab.ports.sipTcp, transport: 'tcp', target: 'gw3.contoso.test', timeoutMs: 2000 });
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        assert.equal(r.value.response.statusLine, 'SIP/2.0 200 OK');
        assert.equal(r.value.response.code, 200);
        assert.equal(r.value.response.server, 'SIPp UAS');
        assert.ok(r.value.response.latencyMs >= 0 && r.value.response.latencyMs < 2000);
        assert.equal(r.value.handshake, undefined);
      });

      it('over MTLS: the handshake and the response of the same connection', async () => {
        const r = await h.port.sipOptions({ host: '127.0.0.32', port: h.lab.ports.sipTls, transport: 'tls', target: 'gw4.contoso.test', tls: { servername: 'gw4.contoso.test', clientCert: h.lab.certs.bot, ca: [h.lab.certs.ca.certPem] }, timeoutMs: 3000 });
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        assert.equal(r.value.response.code, 200);
        assert.equal(cn(r.value.handshake?.chain[0]), 'gw4.contoso.test');
        assert.equal(r.value.handshake?.authorized, true);
      });

      it('says timeout when the peer never answers OPTIONS', async () => {
        const started = Date.now();
        failsWith(await h.port.sipOptions({ host: '127.0.0.41', port: h.lab.ports.silent, transport: 'tcp', target: 'silent.contoso.test', timeoutMs: 400 }), 'timeout');
        assert.ok(Date.now() - started < 1200);
      });
    });
  });
}
