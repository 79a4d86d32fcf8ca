/**
 * The PostgreSQL connection the store runs on: a pool for records (synchronous commit, the server's own
 * setting), a small one for hints that may lose their last few writes to a server crash (handled-activity
 * ids, conversation addresses, heartbeats: synchronous_commit off), `?` placeholders as the SQLite store
 * writes them, and transactions that run again on a deadlock or serialization failure.
 */
import pg from 'pg';
import { StoreUnavailable } from '../errors';
import type { Row } from './audit-rules';

/** What a transaction's body gets: its queries, and work to do once it has committed. */
export interface Tx {
  query(sql: string, args?: readonly unknown[]): Promise<Row[]>;
  /** The number of rows an UPDATE, INSERT or DELETE changed. */
  run(sql: string, args?: readonly unknown[]): Promise<number>;
  onCommit(fn: () => void): void;
}

/** Deadlock detected, serialization failure: the transaction did nothing and may run again. */
const retryable = new Set(['40P01', '40001']);

/** How long a query waits for a connection (the server down, the pool exhausted) before the turn is told. */
const connectTimeoutMs = 5_000;

/** host:port/database, never the user or password. */
export function databaseWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** An error's first line, with its code when the message does not say it. */
export function errorLine(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const text = typeof e.message === 'string' && e.message ? e.message : String(err);
  return `${text.split('\n')[0]}${typeof e.code === 'string' && !text.includes(e.code) ? ` (${e.code})` : ''}`;
}

/** Socket errors, the connection-exception class (08), the server shutting down or starting (57P01-57P03), pg's own. */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (/^E[A-Z]+$/.test(code) || code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code))) return true;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/.test(message);
}

// Integers the store reads (seq, attempt, pid) fit in a double; COUNT(*) and the like come back as bigint.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

export class PgDb {
  private readonly pool: pg.Pool;
  private readonly hintPool: pg.Pool;
  private readonly statements = new Map<string, { name: string; text: string }>();

  private readonly where: string;

  constructor(url: string, options: { poolSize?: number } = {}) {
    this.where = databaseWhere(url);
    const common = { connectionString: url, connectionTimeoutMillis: connectTimeoutMs };
    this.pool = new pg.Pool({ ...common, max: options.poolSize ?? 10, application_name: 'switchboard' });
    this.hintPool = new pg.Pool({ ...common, max: 2, application_name: 'switchboard-hints', options: '-c synchronous_commit=off' });
    // An idle connection the server closed (restart, failover) must not take the bot down: the next query reconnects.
    this.pool.on('error', () => undefined);
    this.hintPool.on('error', () => undefined);
  }

  /**
   * `?` to `$1, $2, ...` (the store's SQL has no `?` inside string literals), as a named statement: each
   * connection parses and plans it once. SQL without arguments (the schema) goes as a simple query.
   */
  private statement(sql: string, args: readonly unknown[]): pg.QueryConfig {
    if (args.length === 0) return { text: sql };
    let s = this.statements.get(sql);
    if (s === undefined) {
      let n = 0;
      s = { name: `s${this.statements.size + 1}`, text: sql.replace(/\?/g, () => `$${++n}`) };
      this.statements.set(sql, s);
    }
    return { ...s, values: args as unknown[] };
  }

  /** A lost or refused connection as StoreUnavailable (one line, no password); anything else as it came. */
  private unavailable(err: unknown): unknown {
    return isConnectionError(err) ? new StoreUnavailable(`PostgreSQL at ${this.where}`, errorLine(err)) : err;
  }

  /** One statement on a pool, a lost connection turned into StoreUnavailable. */
  private async on(pool: pg.Pool, sql: string, args: readonly unknown[]): Promise<pg.QueryResult<Row>> {
    try {
      return await pool.query<Row>(this.statement(sql, args));
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  async query(sql: string, args: readonly unknown[] = []): Promise<Row[]> {
    return (await this.on(this.pool, sql, args)).rows;
  }

  async run(sql: string, args: readonly unknown[] = []): Promise<number> {
    return (await this.on(this.pool, sql, args)).rowCount ?? 0;
  }

  async hint(sql: string, args: readonly unknown[] = []): Promise<Row[]> {
    return (await this.on(this.hintPool, sql, args)).rows;
  }

  /** Runs `body` in one transaction (READ COMMITTED; the store's writes are compare-and-sets and advisory locks). */
  async tx<T>(body: (tx: Tx) => Promise<T>, options: { hint?: boolean } = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await (options.hint ? this.hintPool : this.pool).connect();
      } catch (err) {
        throw this.unavailable(err);
      }
      const committed: (() => void)[] = [];
      let broken = false;
      try {
        await client.query('BEGIN');
        const tx: Tx = {
          query: async (sql, args = []) => (await client.query<Row>(this.statement(sql, args))).rows,
          run: async (sql, args = []) => (await client.query(this.statement(sql, args))).rowCount ?? 0,
          onCommit: (fn) => void committed.push(fn),
        };
        const result = await body(tx);
        await client.query('COMMIT');
        for (const fn of committed) fn();
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection itself failed: do not hand it back to the pool
        }
        const code = (err as { code?: unknown }).code;
        if (attempt < 5 && typeof code === 'string' && retryable.has(code)) continue;
        throw this.unavailable(err);
      } finally {
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.hintPool.end()]);
  }
}
