/**
 * `npm run audit:verify [-- <DATA_DIR>]`: re-computes the audit log's HMAC chain, page by page, checks each
 * request's decision against its entry and the head against the checkpoint file; exit 1 if anything is broken.
 * The key comes from AUDIT_KEY or AUDIT_KEY_FILE, as for the bot (never made here); the log is the one in
 * DATABASE_URL when set, else SQLite's in DATA_DIR.
 */
import path from 'node:path';
import { z } from 'zod';
import { AuditKeyError } from '../store/audit-key';
import { openStore } from '../store/open-store';
import type { Store } from '../store/store';

const Env = z.object({
  DATA_DIR: z.string().min(1).optional(),
  DATABASE_URL: z.string().min(1).optional(),
  AUDIT_KEY: z.string().min(1).optional(),
  AUDIT_KEY_FILE: z.string().min(1).optional(),
  AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
  AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(10).optional(),
});

async function main(): Promise<void> {
  const env = Env.parse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
  const dataDir = path.resolve(process.argv[2] ?? env.DATA_DIR ?? './data');
  let store: Store;
  try {
    store = await openStore({ ...env, DATA_DIR: dataDir, AUDIT_VERIFY_INTERVAL_S: 0, readOnly: true });
  } catch (err) {
    if (!(err instanceof AuditKeyError)) throw err;
    console.error(err.message);
    process.exitCode = 1;
    return;
  }
  const started = performance.now();
  const result = await store.verifyAudit();
  await store.close();
  const took = `${((performance.now() - started) / 1000).toFixed(1)} s`;
  if (result.ok) {
    console.log(`Audit chain intact: ${result.entries} entries in ${env.DATABASE_URL ? 'the PostgreSQL database' : dataDir} (${took}).`);
    return;
  }
  console.error(`Audit chain BROKEN at entry ${result.brokenAt}: ${result.reason}.`);
  process.exitCode = 1;
}

void main();
