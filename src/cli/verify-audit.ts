/** `npm run audit:verify [-- <DATA_DIR>]`: re-computes the audit log's hash chain; exit 1 if it is broken. */
import path from 'node:path';
import { SqliteStore } from '../store/sqlite-store';

async function main(): Promise<void> {
  const dataDir = path.resolve(process.argv[2] ?? process.env.DATA_DIR ?? './data');
  const store = new SqliteStore(dataDir);
  const result = await store.verifyAudit();
  await store.close();
  if (result.ok) {
    console.log(`Audit chain intact: ${result.entries} entries in ${dataDir}.`);
    return;
  }
  console.error(`Audit chain BROKEN at entry ${result.brokenAt}: ${result.reason}.`);
  process.exitCode = 1;
}

void main();
