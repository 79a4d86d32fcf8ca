/**
 * The one place that picks the store: PostgreSQL when DATABASE_URL is set (several instances), else SQLite
 * under DATA_DIR.
 */
import type { AuditLogOptions } from './audit-log';
import { PostgresStore } from './postgres-store';
import { SqliteStore } from './sqlite-store';
import type { Store } from './store';

export interface StoreSettings extends AuditLogOptions {
  DATA_DIR: string;
  DATABASE_URL?: string | undefined;
  DATABASE_POOL_SIZE?: number | undefined;
}

export async function openStore(settings: StoreSettings): Promise<Store> {
  const { DATA_DIR, DATABASE_URL, DATABASE_POOL_SIZE, ...audit } = settings;
  return DATABASE_URL ? PostgresStore.open(DATABASE_URL, DATA_DIR, { ...audit, poolSize: DATABASE_POOL_SIZE }) : new SqliteStore(DATA_DIR, audit);
}
