/**
 * Sealed items as files under DATA_DIR/keys (one instance): `<id>.bin` (sealed) and `<id>.json` (what it
 * is), mode 0600, and the used links in `used-tokens`, appended before a file is served.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { pfxExpiry, type SealedItems, type StoredItem, type StoredKind } from '../model/sealed-items';

const ItemMeta = z.object({ id: z.uuid(), kind: z.enum(['private-key', 'pfx']), subject: z.string(), createdAt: z.string(), expiresAt: z.string().optional() });

export class FileSealedItems implements SealedItems {
  private readonly usedFile: string;
  private readonly used = new Set<string>();

  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.usedFile = path.join(dir, 'used-tokens');
    if (fs.existsSync(this.usedFile)) for (const n of fs.readFileSync(this.usedFile, 'utf8').split('\n')) if (n) this.used.add(n);
  }

  async put(item: StoredItem, sealed: Buffer): Promise<void> {
    fs.writeFileSync(this.file(item.id, 'bin'), sealed, { mode: 0o600 });
    fs.writeFileSync(this.file(item.id, 'json'), JSON.stringify(item), { mode: 0o600 });
  }

  async get(id: string): Promise<{ item: StoredItem; sealed: Buffer } | undefined> {
    if (!z.uuid().safeParse(id).success || !fs.existsSync(this.file(id, 'bin'))) return undefined;
    const item = ItemMeta.parse(JSON.parse(fs.readFileSync(this.file(id, 'json'), 'utf8')));
    return { item, sealed: fs.readFileSync(this.file(id, 'bin')) };
  }

  async list(kind: StoredKind, subject: string): Promise<StoredItem[]> {
    return this.all()
      .filter((i) => i.kind === kind && i.subject === subject)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async expired(at: string): Promise<StoredItem[]> {
    return this.all().filter((i) => i.kind === 'pfx' && pfxExpiry(i) <= at);
  }

  async remove(id: string): Promise<void> {
    if (!z.uuid().safeParse(id).success) return;
    // The sealed content first: a meta file without it is listed by nothing that serves.
    fs.rmSync(this.file(id, 'bin'), { force: true });
    fs.rmSync(this.file(id, 'json'), { force: true });
  }

  private all(): StoredItem[] {
    return fs
      .readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => {
        try {
          const r = ItemMeta.safeParse(JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8')));
          return r.success ? [r.data] : [];
        } catch {
          return []; // removed meanwhile, or half-written by a crash
        }
      });
  }

  async markUsed(nonce: string): Promise<boolean> {
    if (this.used.has(nonce)) return false;
    this.used.add(nonce);
    fs.appendFileSync(this.usedFile, `${nonce}\n`, { mode: 0o600 });
    return true;
  }

  private file(id: string, ext: string): string {
    return path.join(this.dir, `${id}.${ext}`);
  }
}
