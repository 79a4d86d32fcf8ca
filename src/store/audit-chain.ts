/**
 * The audit log's chain: each entry's hash is an HMAC-SHA256, under a key kept outside the database,
 * over the previous entry's hash, its sequence number and its content. Anyone who can write the SQLite
 * file but does not hold the key can neither append, rewrite nor re-number an entry unnoticed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuditInput } from './store';

export const genesisHash = '0'.repeat(64);

/** JSON with sorted keys, so the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** HMAC-SHA256(key, prev hash ‖ seq ‖ canonical content), hex. */
export function chainHash(key: Buffer, prevHash: string, seq: number, entry: AuditInput): string {
  return createHmac('sha256', key).update(`${prevHash}\n${seq}\n${canonicalJson(entry)}`).digest('hex');
}

/** The head of the chain as anchored outside the database (the checkpoint file) and inside it (audit.checkpoint). */
export interface Checkpoint {
  seq: number;
  head: string;
  count: number;
  at: string;
}

export function checkpointMac(key: Buffer, c: Checkpoint): string {
  return createHmac('sha256', key).update(`switchboard audit checkpoint\n${c.seq}\n${c.head}\n${c.count}\n${c.at}`).digest('hex');
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
