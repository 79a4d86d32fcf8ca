/**
 * cert request, cert import and cert issue as an admin uses them in chat: approval first, the CSR to the
 * requester's 1:1 chat, the PFX as a one-time link with its password in a separate message, and no key,
 * PFX or password anywhere else (channel, cards, audit, request record).
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { issueFromCsr } from '../src/certs/authority';
import { networkRuntime } from '../src/network/runtime';
import { admin, alice, cardOf, cardText, ChatHarness, eve, requestIdIn, tenantId } from './support/chat';
import { requireTools } from './network/peers';
import { tempDir } from './support/temp-dirs';

const gateway = 'gw1.contoso.com';

describe('gateway certificates in chat (cert request, cert import, cert issue)', function () {
  this.timeout(30_000);
  let chat: ChatHarness;
  before(function () {
    requireTools(this, 'openssl');
  });
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  /** Everything the bot sent or stored that others could read: every message and card, the audit, the requests. */
  async function everythingVisible(): Promise<string> {
    const messages = JSON.stringify([chat.outbox.sent, chat.outbox.updated]);
    const audit = JSON.stringify(await chat.core.store.listAudit({ limit: 1000 }));
    const requests = JSON.stringify(await chat.core.store.listRequests({ limit: 100 }));
    return messages + audit + requests;
  }

  async function approved(text: string): Promise<string> {
    const [reply] = await chat.say(alice, text);
    const id = requestIdIn(reply?.text);
    assert.match(cardText(cardOf(reply)), /waiting for approval|Approve/i);
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    return id;
  }

  const toAlice = () => chat.outbox.sent.filter((m) => JSON.stringify(m.to).includes(alice.mri));

  async function requestCsr(): Promise<string> {
    await approved(`cert request ${gateway}`);
    const csr = toAlice().find((m) => m.message.file?.name === `${gateway}.csr`);
    assert.ok(csr, `no CSR sent to the requester: ${JSON.stringify(toAlice().map((m) => m.message.text))}`);
    return csr.message.file!.text;
  }

  function openssl(args: string[], input?: string): string {
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}) });
  }

  it('cert request: approved, then the CSR (CN and DNS SAN = the gateway) reaches the requester alone, and the run is verified', async () => {
    const [reply] = await chat.say(alice, `cert request ${gateway}`);
    const id = requestIdIn(reply?.text);
    assert.equal(chat.outbox.sent.filter((m) => m.message.file).length, 0, 'nothing is made before approval');
    const card = cardText(cardOf(reply));
    assert.match(card, /Key for gw1\.contoso\.com/);
    assert.match(card, /new 2048-bit RSA key/);
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();

    const csrPem = toAlice().find((m) => m.message.file?.name === `${gateway}.csr`)!.message.file!.text;
    assert.match(openssl(['req', '-verify', '-noout', '-subject'], csrPem), /CN\s*=\s*gw1\.contoso\.com/);
    assert.match(openssl(['req', '-noout', '-text'], csrPem), /DNS:gw1\.contoso\.com/);
    const request = await chat.core.store.getRequest(id);
    assert.equal(request?.status, 'verified', JSON.stringify(request?.outcome));
    assert.ok(request?.outcome?.verification?.some((v) => v.property === 'CSR' && v.result === 'pass'));
    assert.doesNotMatch(await everythingVisible(), /PRIVATE KEY/);
  });

  it('cert import: the issued certificate is checked before filing; once approved a one-time link and, apart, its password open the PFX', async () => {
    const csrPem = await requestCsr();
    const { labCa } = await networkRuntime();
    const issued = issueFromCsr(csrPem, labCa!);
    // Pasted into Teams, line breaks fold into spaces: still read.
    await approved(`cert import ${gateway} ${issued.replace(/\n/g, ' ')}`);

    const texts = toAlice().map((m) => m.message.text ?? '');
    const linkMessage = texts.find((t) => t.includes('/download/'));
    const passwordMessage = texts.find((t) => t.startsWith('Password of'));
    assert.ok(linkMessage && passwordMessage, JSON.stringify(texts));
    assert.notEqual(linkMessage, passwordMessage, 'link and password in separate messages');
    const link = /https:\/\/switchboard\.example\.invalid(\/download\/\S+)/.exec(linkMessage)![1]!;
    const password = /Password of \S+: (\S+)/.exec(passwordMessage)![1]!;
    assert.ok(!linkMessage.includes(password));

    const first = (await chat.core.certificates.download(link));
    assert.equal(first.status, 200);
    const dir = tempDir('pfx');
    fs.writeFileSync(path.join(dir, 'gw.pfx'), first.body);
    const opened = openssl(['pkcs12', '-in', path.join(dir, 'gw.pfx'), '-passin', `pass:${password}`, '-nodes']);
    assert.match(opened, /subject=.*CN\s*=\s*gw1\.contoso\.com/);
    assert.match(opened, /PRIVATE KEY/);
    assert.equal((await chat.core.certificates.download(link)).status, 410, 'a second download is refused');

    const visible = await everythingVisible();
    assert.doesNotMatch(visible.replace(/"text":"Password of [^"]+"/g, ''), new RegExp(password), 'the password is in its own message only');
    assert.doesNotMatch(visible, /PRIVATE KEY/);
  });

  it('cert import refuses, in one line and filing nothing, a certificate for another key or not a certificate at all', async () => {
    await requestCsr();
    const before = (await chat.core.store.listRequests({ limit: 100 })).length;
    // Issued for someone else's key.
    const stranger = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tempDir('k'), 'k.pem'), '-subj', `/CN=${gateway}`]);
    const { labCa } = await networkRuntime();
    const [wrongKey] = await chat.say(alice, `cert import ${gateway} ${issueFromCsr(stranger, labCa!)}`);
    assert.match(wrongKey?.text ?? '', /^That certificate cannot be used for gw1\.contoso\.com: matches the key: the certificate was issued for a different key/);
    const [junk] = await chat.say(alice, `cert import ${gateway} -----BEGIN CERTIFICATE----- hello -----END CERTIFICATE-----`);
    assert.match(junk?.text ?? '', /^A certificate block there is not readable: paste the issued certificate \(Base-64/);
    const [none] = await chat.say(alice, `cert import gw9.contoso.com ${issueFromCsr(stranger, labCa!)}`);
    assert.match(none?.text ?? '', /holds no key for gw9\.contoso\.com/);
    assert.equal((await chat.core.store.listRequests({ limit: 100 })).length, before);
  });

  it('cert import takes the certificate from a .cer file (Base-64) attached in the 1:1 chat', async () => {
    const csrPem = await requestCsr();
    const { labCa } = await networkRuntime();
    const issued = issueFromCsr(csrPem, labCa!);
    const [reply] = await chat.say(alice, `cert import ${gateway}`, { attachments: [{ contentType: 'application/pkix-cert', name: `${gateway}.cer`, content: issued }] });
    const id = requestIdIn(reply?.text);
    assert.match(cardText(cardOf(reply)), /PFX for gw1\.contoso\.com/);
    assert.equal((await chat.core.store.getRequest(id))?.status, 'pending');
  });

  describe('cert import takes the certificate as a CA hands it back', () => {
    let files: http.Server;
    let served: Buffer = Buffer.alloc(0);
    before(async () => {
      files = http.createServer((_req, res) => res.end(served));
      await new Promise<void>((r) => files.listen(0, '127.0.0.1', () => r()));
    });
    after(async () => {
      files.closeAllConnections();
      await new Promise((r) => files.close(r));
    });

    /** A Teams personal-chat file: a download link the bot fetches (here a local server). */
    function teamsFile(name: string, bytes: Buffer): Record<string, unknown> {
      served = bytes;
      const fileType = name.split('.').pop();
      return { contentType: 'application/vnd.microsoft.teams.file.download.info', name, content: { downloadUrl: `http://127.0.0.1:${(files.address() as AddressInfo).port}/${name}`, fileType, uniqueId: name } };
    }

    async function issued(): Promise<{ leaf: string; root: string }> {
      const csrPem = await requestCsr();
      const { labCa } = await networkRuntime();
      return { leaf: issueFromCsr(csrPem, labCa!), root: labCa!.certPem };
    }

    /** A .p7b as certutil and web enrollment write it, root first. */
    function p7b(pems: string[], outform: 'DER' | 'PEM'): Buffer {
      const dir = tempDir('p7b');
      fs.writeFileSync(path.join(dir, 'chain.pem'), pems.join(''));
      return execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', path.join(dir, 'chain.pem'), '-outform', outform]);
    }

    async function filedWith(extra: Record<string, unknown>[], text = `cert import ${gateway}`): Promise<string> {
      const [reply] = await chat.say(alice, text, { attachments: extra } as never);
      const id = requestIdIn(reply?.text);
      assert.match(cardText(cardOf(reply)), /PFX for gw1\.contoso\.com/);
      assert.match(cardText(cardOf(reply)), /matches the key pass/);
      return id;
    }

    it('a DER .cer downloaded from the chat', async () => {
      const { leaf } = await issued();
      await filedWith([teamsFile(`${gateway}.cer`, new X509Certificate(leaf).raw)]);
    });

    it('the .p7b chain (DER or Base-64, root first), the gateway\'s certificate found in it and packed with the chain', async () => {
      const { leaf, root } = await issued();
      const id = await filedWith([teamsFile(`${gateway}.p7b`, p7b([root, leaf], 'DER'))]);
      await chat.click(admin, 'reject', { requestId: id, reason: 'again as PEM' });
      await filedWith([{ contentType: 'application/x-pkcs7-certificates', name: `${gateway}.p7b`, content: p7b([root, leaf], 'PEM').toString('utf8') }]);
    });

    it('the Base-64 body pasted without its BEGIN and END lines', async () => {
      const { leaf } = await issued();
      const body = leaf.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ' ').trim();
      await filedWith([], `cert import ${gateway} ${body}`);
    });

    it('anything else gets one line saying what is wanted, and files nothing', async () => {
      await issued();
      const before = (await chat.core.store.listRequests({ limit: 100 })).length;
      for (const file of [teamsFile(`${gateway}.cer`, Buffer.from([0x30, 0x82, 0x01, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])), teamsFile(`${gateway}.p7b`, p7b([], 'DER'))]) {
        const [reply] = await chat.say(alice, `cert import ${gateway}`, { attachments: [file] } as never);
        assert.match(reply?.text ?? '', /^(No certificate there|That PKCS #7 file holds no certificate): paste the issued certificate \(Base-64, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----\), or attach the \.cer \(Base-64 or DER\) or the \.p7b chain\.$/);
      }
      assert.equal((await chat.core.store.listRequests({ limit: 100 })).length, before);
    });
  });

  it('cert issue (lab CA): one approval gives the PFX, chained to the lab CA, through a link and a separate password', async () => {
    await approved(`cert issue ${gateway}`);
    const texts = toAlice().map((m) => m.message.text ?? '');
    const link = /(\/download\/\S+)/.exec(texts.find((t) => t.includes('/download/')) ?? '')?.[1];
    const password = /Password of \S+: (\S+)/.exec(texts.find((t) => t.startsWith('Password of')) ?? '')?.[1];
    assert.ok(link && password, JSON.stringify(texts));
    const dir = tempDir('pfx');
    fs.writeFileSync(path.join(dir, 'gw.pfx'), (await chat.core.certificates.download(link)).body);
    const certs = openssl(['pkcs12', '-in', path.join(dir, 'gw.pfx'), '-passin', `pass:${password}`, '-nokeys']);
    fs.writeFileSync(path.join(dir, 'chain.pem'), certs);
    const { labCa } = await networkRuntime();
    fs.writeFileSync(path.join(dir, 'root.pem'), labCa!.certPem);
    const leaf = certs.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
    fs.writeFileSync(path.join(dir, 'leaf.pem'), `${leaf}\n`);
    assert.match(openssl(['verify', '-CAfile', path.join(dir, 'root.pem'), path.join(dir, 'leaf.pem')]), /leaf\.pem: OK/);
  });

  it('keeps no PFX once it is downloaded, nor once its link expired unused (maintenance deletes it)', async () => {
    await approved(`cert issue ${gateway}`);
    const link = () => /(\/download\/\S+)/.exec(toAlice().map((m) => m.message.text ?? '').reverse().find((t) => t.includes('/download/')) ?? '')?.[1];
    assert.equal((await chat.core.certificates.held(gateway)).pfx.length, 1);
    assert.equal((await chat.core.certificates.download(link()!)).status, 200);
    assert.equal((await chat.core.certificates.held(gateway)).pfx.length, 0, 'deleted once downloaded');
    await approved(`cert issue ${gateway}`);
    assert.equal((await chat.core.certificates.held(gateway)).pfx.length, 1);
    chat.clock.advance(15 * 60_000);
    await chat.core.maintain();
    assert.equal((await chat.core.certificates.held(gateway)).pfx.length, 0, 'deleted once its link expired');
    assert.equal((await chat.core.certificates.download(link()!)).status, 410);
    assert.equal((await chat.core.certificates.held(gateway)).keys.length, 2, 'the keys stay');
  });

  it('a certificate step cut short by a crash is made again after recovery (never "verified" from a read-back it cannot do), and delivered once', async () => {
    const [reply] = await chat.say(alice, `cert request ${gateway}`);
    const id = requestIdIn(reply?.text);
    const now = chat.clock.now();
    const person = { id: admin.aadObjectId, name: admin.name };
    await chat.core.store.decide(id, { status: 'approved', by: person, at: now }, { at: now.toISOString(), actor: person, event: 'request.approved', requestId: id });
    const claimed = (await chat.core.store.claim(id, now, new Date(now.getTime() + 60_000), { at: now.toISOString(), actor: 'system', event: 'execution.started', requestId: id }))!;
    // Died inside the step: marked running, nothing delivered.
    await chat.core.store.saveProgress(id, claimed.attempt, 0, [{ status: 'running', attempts: 1, startedAt: now.toISOString() }]);
    chat.clock.advance(61_000);
    await chat.core.maintain();
    await chat.settle();
    const r = (await chat.core.store.getRequest(id))!;
    assert.equal(r.status, 'verified', JSON.stringify(r.outcome));
    assert.ok(r.outcome?.verification?.some((v) => v.property === 'CSR'), 'verified by the step\'s own checks');
    assert.equal(toAlice().filter((m) => m.message.file?.name === `${gateway}.csr`).length, 1, 'the CSR reached the requester once');
  });

  it('holds one open request per gateway key: cert issue while a cert request waits is refused with the first one\'s id', async () => {
    const [first] = await chat.say(alice, `cert request ${gateway}`);
    const id = requestIdIn(first?.text);
    const [second] = await chat.say(alice, `cert issue ${gateway}`);
    assert.match(second?.text ?? '', new RegExp(`held by open request ${id}`));
  });

  it('sends keys only to a 1:1 chat: a request from a channel by someone who never opened one is refused', async () => {
    const [fromChannel] = await chat.say(eve, `cert request ${gateway}`, { conversation: { id: '19:channel@thread.tacv2', conversationType: 'channel', tenantId, isGroup: true, name: 'Voice admins' } } as never);
    assert.match(fromChannel?.text ?? '', /^Open a 1:1 chat with me first/);
    assert.equal((await chat.core.store.listRequests({ limit: 10 })).length, 0);
  });
});
