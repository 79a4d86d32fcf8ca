/** cert request / import / issue end to end: key kept encrypted, PFX through a one-time link, OpenSSL opens it. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createKeyAndCsr, createLabRoot, issueFromCsr, type CaMaterial } from '../../src/certs/authority';
import { KeyStore } from '../../src/certs/key-store';
import { CertificateOperationError, importCertificate, issueCertificate, requestCertificate, type CertDeps } from '../../src/certs/operations';
import { tempDir } from '../support/temp-dirs';
import { requireTools } from '../network/peers';

describe('certificate operations (cert request, cert import, cert issue)', function () {
  this.timeout(30_000);
  let ca: CaMaterial;
  let deps: CertDeps;
  let dir: string;
  before(async function () {
    requireTools(this, 'openssl');
    ca = await createLabRoot('Contoso CCE Root');
  });
  beforeEach(() => {
    dir = tempDir('ops');
    deps = { keyStore: new KeyStore({ dir: path.join(dir, 'keys'), secret: 'x'.repeat(40) }), roots: [ca.certPem], linkBase: '/download/', ttlMs: 15 * 60_000 };
  });

  async function openPfx(link: string, password: string): Promise<string> {
    const res = (await deps.keyStore.handleDownload(link));
    assert.equal(res.status, 200);
    const file = path.join(dir, 'got.pfx');
    fs.writeFileSync(file, res.body);
    return execFileSync('openssl', ['pkcs12', '-in', file, '-passin', `pass:${password}`, '-nodes'], { encoding: 'utf8' });
  }

  it('request then import: the CSR is signed by the CA, the PFX comes once through its link and opens with its password', async () => {
    const { csrPem } = await requestCertificate('gw1.contoso.com', deps);
    assert.ok(!fs.readdirSync(path.join(dir, 'keys')).some((f) => fs.readFileSync(path.join(dir, 'keys', f), 'utf8').includes('PRIVATE KEY')));
    const { items, delivery } = await importCertificate('gw1.contoso.com', issueFromCsr(csrPem, ca), deps);
    assert.ok(items.every((i) => i.status === 'pass'), JSON.stringify(items));
    assert.ok(delivery);
    assert.ok(!delivery.link.includes(delivery.password));
    assert.match(await openPfx(delivery.link, delivery.password), /subject=CN\s?=\s?gw1\.contoso\.com[\s\S]*BEGIN PRIVATE KEY/);
    assert.equal((await deps.keyStore.handleDownload(delivery.link)).status, 410);
  });

  it('import without a request, or of a certificate for a key the bot never made, gives no PFX', async () => {
    await assert.rejects(importCertificate('gw5.contoso.com', ca.certPem, deps), (e: unknown) => e instanceof CertificateOperationError && /run cert request gw5\.contoso\.com first/.test((e as Error).message));
    await requestCertificate('gw1.contoso.com', deps);
    const stranger = await createKeyAndCsr('gw1.contoso.com'); // same name, a key the bot does not hold
    const r = await importCertificate('gw1.contoso.com', issueFromCsr(stranger.csrPem, ca), deps);
    assert.equal(r.items.find((i) => i.check === 'matches the key')?.status, 'fail');
    assert.equal(r.delivery, undefined);
  });

  it('imports a certificate issued for an earlier request\'s CSR after a newer cert request: the key it was made for is found', async () => {
    const first = await requestCertificate('gw1.contoso.com', deps);
    await requestCertificate('gw1.contoso.com', deps);
    const r = await importCertificate('gw1.contoso.com', issueFromCsr(first.csrPem, ca), deps);
    assert.ok(r.items.every((i) => i.status === 'pass'), JSON.stringify(r.items));
    assert.ok(r.delivery);
  });

  it('issue (lab): only with a CA key; then a PFX whose certificate openssl verifies against the root', async () => {
    await assert.rejects(issueCertificate('gw1.contoso.com', deps), /No CA key is configured/);
    const r = await issueCertificate('gw1.contoso.com', { ...deps, ca });
    assert.ok(r.delivery);
    const certFile = path.join(dir, 'issued.pem');
    fs.writeFileSync(certFile, r.certPem);
    fs.writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
    assert.equal(execFileSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.pem'), certFile], { encoding: 'utf8' }).trim(), `${certFile}: OK`);
    assert.equal(((await openPfx(r.delivery.link, r.delivery.password)).match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
  });
});
