/**
 * The key store's sealed items in the PostgreSQL database, so that every instance holds the same keys and
 * PFX files (sealed by the key store before they get here) and a link used on one instance is used on all:
 * the nonce's INSERT is the one-time check, decided by the primary key.
 */
import { longestLinkMs, type SealedItems, type StoredItem, type StoredKind } from '../model/sealed-items';
import type { Row } from './audit-rules';
import type { PgDb, Tx } from './postgres-db';

export const sealedItemsSchema = `
CREATE TABLE IF NOT EXISTS sealed_items (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  created_at TEXT NOT NULL,
  sealed BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS sealed_items_subject ON sealed_items (kind, subject, created_at);
CREATE TABLE IF NOT EXISTS used_links (
  nonce TEXT PRIMARY KEY,
  used_at TEXT NOT NULL
);
`;

export async function createSealedItemTables(tx: Tx): Promise<void> {
  await tx.run(sealedItemsSchema);
  await tx.run('ALTER TABLE sealed_items ADD COLUMN IF NOT EXISTS expires_at TEXT');
}

const kinds: readonly StoredKind[] = ['private-key', 'pfx'];

function toItem(row: Row): StoredItem {
  const kind = kinds.find((k) => k === row.kind);
  if (!kind) throw new Error(`sealed item ${String(row.id)} is of no known kind`);
  return { id: String(row.id), kind, subject: String(row.subject), createdAt: String(row.created_at), ...(row.expires_at ? { expiresAt: String(row.expires_at) } : {}) };
}

export class PostgresSealedItems implements SealedItems {
  constructor(private readonly db: PgDb) {}

  async put(item: StoredItem, sealed: Buffer): Promise<void> {
    await this.db.run('INSERT INTO sealed_items (id, kind, subject, created_at, expires_at, sealed) VALUES (?, ?, ?, ?, ?, ?)', [item.id, item.kind, item.subject, item.createdAt, item.expiresAt ?? null, sealed]);
  }

  async get(id: string): Promise<{ item: StoredItem; sealed: Buffer } | undefined> {
    const [row] = await this.db.query('SELECT id, kind, subject, created_at, expires_at, sealed FROM sealed_items WHERE id = ?', [id]);
    if (!row) return undefined;
    const sealed: unknown = row.sealed;
    if (!Buffer.isBuffer(sealed)) throw new Error(`sealed item ${id} is not readable`);
    return { item: toItem(row), sealed };
  }

  async list(kind: StoredKind, subject: string): Promise<StoredItem[]> {
    const rows = await this.db.query('SELECT id, kind, subject, created_at, expires_at FROM sealed_items WHERE kind = ? AND subject = ? ORDER BY created_at, id', [kind, subject]);
    return rows.map(toItem);
  }

  async expired(at: string): Promise<StoredItem[]> {
    const legacyBefore = new Date(Date.parse(at) - longestLinkMs).toISOString();
    const rows = await this.db.query(
      "SELECT id, kind, subject, created_at, expires_at FROM sealed_items WHERE kind = 'pfx' AND (expires_at <= ? OR (expires_at IS NULL AND created_at <= ?))",
      [at, legacyBefore],
    );
    return rows.map(toItem);
  }

  async remove(id: string): Promise<void> {
    await this.db.run('DELETE FROM sealed_items WHERE id = ?', [id]);
  }

  async markUsed(nonce: string, at: string): Promise<boolean> {
    return (await this.db.run('INSERT INTO used_links (nonce, used_at) VALUES (?, ?) ON CONFLICT DO NOTHING', [nonce, at])) === 1;
  }
}
