/** Keys and PFX files at rest and on their way out: encrypted, one-time links, nothing revived by a restart. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { KeyStore } from '../../src/certs/key-store';
import { tempDir } from '../support/temp-dirs';

const SECRET = 'a-test-secret-of-at-least-32-bytes-long!';
const KEY = Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n');

describe('key store', async () => {
  let dir: string;
  let clock: number;
  let store: KeyStore;
  beforeEach(() => {
    dir = tempDir('keys');
    clock = Date.parse('2026-12-01T20:00:00Z');
    store = new KeyStore({ dir, secret: SECRET, now: () => clock });
  });
  const link = (id: string, ttlMs = 10 * 60_000) => `/download/${store.createDownloadToken(id, { ttlMs, filename: 'gw1.contoso.com.pfx', contentType: 'application/x-pkcs12' }).token}`;

  it('keeps what it stores encrypted on disk, and gives it back', async () => {
    const item = (await store.put('private-key', 'gw1.contoso.com', KEY));
    for (const f of fs.readdirSync(dir)) assert.ok(!fs.readFileSync(path.join(dir, f)).includes('PRIVATE KEY'), `${f} holds the key in clear`);
    assert.ok((await store.get(item.id))?.content.equals(KEY));
    assert.equal((await store.latest('private-key', 'gw1.contoso.com'))?.id, item.id);
  });

  it('refuses a file that was tampered with, or read with another secret', async () => {
    const item = (await store.put('pfx', 'gw1.contoso.com', KEY));
    await assert.rejects(new KeyStore({ dir, secret: 'another-secret-of-at-least-32-bytes!!' }).get(item.id));
    const file = path.join(dir, `${item.id}.bin`);
    const sealed = fs.readFileSync(file);
    sealed[20] = sealed[20]! ^ 1;
    fs.writeFileSync(file, sealed);
    await assert.rejects(store.get(item.id));
  });

  it('refuses a secret shorter than 32 bytes', async () => {
    assert.throws(() => new KeyStore({ dir, secret: 'short' }), /at least 32 bytes/);
  });

  it('serves a link once, as an attachment that is not cached; the second use is refused', async () => {
    const item = (await store.put('pfx', 'gw1.contoso.com', KEY));
    const url = link(item.id);
    const first = (await store.handleDownload(url));
    assert.equal(first.status, 200);
    assert.ok(first.body.equals(KEY));
    assert.equal(first.headers['Content-Disposition'], 'attachment; filename="gw1.contoso.com.pfx"');
    assert.equal(first.headers['Cache-Control'], 'no-store');
    const second = (await store.handleDownload(url));
    assert.deepEqual([second.status, second.body.toString()], [410, 'This download link has already been used. Ask the bot for a new one.']);
  });

  it('a used link stays used after a restart', async () => {
    const item = (await store.put('pfx', 'gw1.contoso.com', KEY));
    const url = link(item.id);
    assert.equal((await store.handleDownload(url)).status, 200);
    const restarted = new KeyStore({ dir, secret: SECRET, now: () => clock });
    assert.equal((await restarted.handleDownload(url)).status, 410);
  });

  it('refuses an expired link, and a link whose token was altered or signed with another secret', async () => {
    const item = (await store.put('pfx', 'gw1.contoso.com', KEY));
    const url = link(item.id, 60_000);
    clock += 61_000;
    assert.deepEqual([(await store.handleDownload(url)).status, (await store.handleDownload(url)).body.toString()], [410, 'This download link has expired. Ask the bot for a new one.']);
    clock -= 61_000;
    const [payload, sig] = url.slice('/download/'.length).split('.') as [string, string];
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString());
    forged.e += 86_400_000;
    assert.equal((await store.handleDownload(`/download/${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`)).status, 404);
    const other = new KeyStore({ dir: tempDir('keys-other'), secret: 'another-secret-of-at-least-32-bytes!!', now: () => clock });
    assert.equal((await other.handleDownload(url)).status, 404);
    assert.equal((await store.handleDownload('/download/../../etc/passwd')).status, 404);
    assert.equal((await store.handleDownload(url)).status, 200, 'the genuine link still works once');
  });

  it('deletes a PFX once its link is used, and keeps the gateway\'s private key', async () => {
    const key = await store.put('private-key', 'gw1.contoso.com', KEY);
    const pfx = await store.put('pfx', 'gw1.contoso.com', Buffer.from('a PFX file'), { linkTtlMs: 15 * 60_000 });
    const url = `/download/${store.createDownloadToken(pfx.id, { expiresAt: new Date(pfx.expiresAt!), filename: 'gw1.contoso.com.pfx', contentType: 'application/x-pkcs12' }).token}`;
    assert.equal((await store.handleDownload(url)).status, 200);
    assert.equal(await store.get(pfx.id), undefined);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith(pfx.id)), [], 'no file of it left on disk');
    assert.ok((await store.get(key.id))?.content.equals(KEY));
  });

  it('deletes a PFX whose link expired unused at the next sweep, not before, and one made before links were recorded a day on', async () => {
    const live = await store.put('pfx', 'gw1.contoso.com', Buffer.from('pfx 1'), { linkTtlMs: 15 * 60_000 });
    const older = await store.put('pfx', 'gw1.contoso.com', Buffer.from('pfx 0'));
    const key = await store.put('private-key', 'gw1.contoso.com', KEY);
    clock += 15 * 60_000 - 1;
    assert.equal(await store.sweep(), 0, 'the link may still be used');
    clock += 1;
    assert.equal(await store.sweep(), 1);
    assert.deepEqual((await store.list('pfx', 'gw1.contoso.com')).map((i) => i.id), [older.id]);
    clock += 24 * 60 * 60_000;
    assert.equal(await store.sweep(), 1);
    assert.deepEqual(await store.list('pfx', 'gw1.contoso.com'), []);
    assert.equal(live.expiresAt, '2026-12-01T20:15:00.000Z');
    assert.deepEqual((await store.list('private-key', 'gw1.contoso.com')).map((i) => i.id), [key.id], 'keys are never swept');
  });
});
