/**
 * Where private keys and PFX files live: encrypted at rest (AES-256-GCM, one random IV per item, the item id
 * as associated data so an item cannot be swapped for another), under a key derived from the configured
 * secret, which is never logged. They leave only through a one-time, short-lived download link: an
 * HMAC-signed token, recorded as used (durably, so neither a restart nor another instance revives it)
 * before the file is served. Where the sealed items are kept is the SealedItems given (files or database).
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import type { SealedItems, StoredItem, StoredKind } from '../model/sealed-items';
import { FileSealedItems } from './file-sealed-items';

export type { StoredItem, StoredKind } from '../model/sealed-items';
const TokenPayload = z.object({ i: z.uuid(), n: z.string().regex(/^[0-9a-f]{32}$/), e: z.number().int(), f: z.string().max(200), t: z.string().max(100) });

export interface DownloadResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface KeyStoreOptions {
  /** Files under this folder (one instance), or the given items (the database, for several). */
  dir?: string;
  items?: SealedItems;
  /** At least 32 bytes of secret: the raw configured value (from KEY_STORE_SECRET or its file). */
  secret: string | Buffer;
  now?: () => number;
}

/**
 * The key-store secret as configured: KEY_STORE_SECRET_FILE (preferred) or KEY_STORE_SECRET, at least 32
 * bytes, undefined when neither is set. Throws one line naming the setting that is wrong.
 */
export function readKeyStoreSecret(c: { KEY_STORE_SECRET?: string | undefined; KEY_STORE_SECRET_FILE?: string | undefined }): Buffer | undefined {
  if (c.KEY_STORE_SECRET && c.KEY_STORE_SECRET_FILE) throw new Error('set KEY_STORE_SECRET or KEY_STORE_SECRET_FILE, not both');
  let secret: Buffer | undefined;
  if (c.KEY_STORE_SECRET_FILE) {
    try {
      secret = Buffer.from(fs.readFileSync(c.KEY_STORE_SECRET_FILE, 'utf8').trim());
    } catch (err) {
      throw new Error(`KEY_STORE_SECRET_FILE: cannot read ${c.KEY_STORE_SECRET_FILE} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  } else if (c.KEY_STORE_SECRET) secret = Buffer.from(c.KEY_STORE_SECRET);
  if (secret && secret.length < 32) throw new Error(`${c.KEY_STORE_SECRET_FILE ? 'KEY_STORE_SECRET_FILE' : 'KEY_STORE_SECRET'}: the key-store secret must be at least 32 bytes`);
  return secret;
}

export class KeyStore {
  private readonly encKey: Buffer;
  private readonly macKey: Buffer;
  private readonly now: () => number;
  private readonly items: SealedItems;

  constructor(private readonly options: KeyStoreOptions) {
    const secret = Buffer.isBuffer(options.secret) ? options.secret : Buffer.from(options.secret, 'utf8');
    if (secret.length < 32) throw new Error('the key-store secret must be at least 32 bytes');
    // Two keys from one secret, so a token signature never doubles as an encryption key.
    this.encKey = Buffer.from(hkdfSync('sha256', secret, 'switchboard-key-store', 'aes-256-gcm', 32));
    this.macKey = Buffer.from(hkdfSync('sha256', secret, 'switchboard-key-store', 'download-token', 32));
    this.now = options.now ?? Date.now;
    if (!options.items && !options.dir) throw new Error('a key store needs a folder or sealed items');
    this.items = options.items ?? new FileSealedItems(options.dir!);
  }

  /** Seals and keeps `content`; `linkTtlMs` for a PFX: the life of its one link, after which it is deleted. */
  async put(kind: StoredKind, subject: string, content: Buffer, options: { linkTtlMs?: number } = {}): Promise<StoredItem> {
    const id = randomUUID();
    const now = this.now();
    const item: StoredItem = { id, kind, subject, createdAt: new Date(now).toISOString(), ...(options.linkTtlMs ? { expiresAt: new Date(now + options.linkTtlMs).toISOString() } : {}) };
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    cipher.setAAD(Buffer.from(id));
    const sealed = Buffer.concat([iv, cipher.update(content), cipher.final(), cipher.getAuthTag()]);
    await this.items.put(item, sealed);
    return item;
  }

  /** Throws when the item was tampered with or sealed under another secret. */
  async get(id: string): Promise<{ item: StoredItem; content: Buffer } | undefined> {
    const found = await this.items.get(id);
    if (!found) return undefined;
    const { item, sealed } = found;
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return { item, content: Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]) };
  }

  /** The stored items of a kind for a gateway, oldest first. */
  async list(kind: StoredKind, subject: string): Promise<StoredItem[]> {
    return this.items.list(kind, subject);
  }

  /** The newest stored item of a kind for a gateway. */
  async latest(kind: StoredKind, subject: string): Promise<StoredItem | undefined> {
    return (await this.list(kind, subject)).at(-1);
  }

  /** A one-time link token for a stored item, expiring after ttlMs or when the item does. */
  createDownloadToken(id: string, options: ({ ttlMs: number } | { expiresAt: Date }) & { filename: string; contentType: string }): { token: string; expiresAt: Date } {
    const expires = 'expiresAt' in options ? options.expiresAt.getTime() : this.now() + options.ttlMs;
    const payload = Buffer.from(JSON.stringify({ i: id, n: randomBytes(16).toString('hex'), e: expires, f: options.filename, t: options.contentType })).toString('base64url');
    return { token: `${payload}.${this.sign(payload)}`, expiresAt: new Date(expires) };
  }

  /**
   * The handler the HTTP server mounts at /download/<token>. The token is checked (signature, expiry, not
   * used), recorded as used, and only then is the file decrypted and served. Every refusal is a short text.
   */
  async handleDownload(url: string): Promise<DownloadResponse> {
    const m = /^\/download\/([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})(?:\?.*)?$/.exec(url);
    if (!m) return text(404, 'No such download.');
    const [, payload, signature] = m as unknown as [string, string, string];
    const expected = Buffer.from(this.sign(payload));
    if (!timingSafeEqual(expected, Buffer.from(signature))) return text(404, 'No such download.');
    let claims: z.output<typeof TokenPayload>;
    try {
      claims = TokenPayload.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      return text(404, 'No such download.');
    }
    if (this.now() >= claims.e) return text(410, 'This download link has expired. Ask the bot for a new one.');
    if (!(await this.items.markUsed(claims.n, new Date(this.now()).toISOString()))) return text(410, 'This download link has already been used. Ask the bot for a new one.');
    const found = await this.get(claims.i);
    if (!found) return text(404, 'The file behind this link no longer exists.');
    // Its one link is spent: a PFX (key and all) is not kept a moment longer than it can be served.
    if (found.item.kind === 'pfx') await this.items.remove(found.item.id);
    return {
      status: 200,
      headers: {
        'Content-Type': claims.t,
        'Content-Disposition': `attachment; filename="${claims.f.replace(/[^\w.-]/g, '_')}"`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      },
      body: found.content,
    };
  }

  /** Deletes the PFX files whose link has expired unused; returns how many. */
  async sweep(): Promise<number> {
    const expired = await this.items.expired(new Date(this.now()).toISOString());
    for (const item of expired) await this.items.remove(item.id);
    return expired.length;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.macKey).update(payload).digest('base64url');
  }
}

function text(status: number, message: string): DownloadResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, body: Buffer.from(message) };
}

/** A password for a PFX: shown to the admin separately from the link, never stored with it. */
export function newPfxPassword(): string {
  return randomBytes(12).toString('base64url');
}
