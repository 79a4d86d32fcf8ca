/** The audit log's hash chain: each entry's hash covers its content and the previous entry's hash. */
import { createHash } from 'node:crypto';
import type { AuditInput } from './store';

export const genesisHash = '0'.repeat(64);

/** JSON with sorted keys, so the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function chainHash(prevHash: string, seq: number, entry: AuditInput): string {
  return createHash('sha256').update(`${prevHash}\n${seq}\n${canonicalJson(entry)}`).digest('hex');
}
