/**
 * A throwaway PostgreSQL server for the store tests: a fresh cluster (initdb) in a temporary directory,
 * listening on 127.0.0.1 at a free port, with fsync off for the tests (they are about the store's logic,
 * not the disk). The suite that starts it stops it in its `after` hook. PostgreSQL will not run as root, so under
 * root (CI's containers) the cluster belongs to the `postgres` user that Debian's package creates.
 * Missing PostgreSQL fails under CI=true and skips with the reason elsewhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** A new, empty database on the server, as a connection URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
  /** Shuts the server down (fast shutdown: its sessions are ended), keeping its data and port. */
  halt(): Promise<void>;
  /** Starts it again after halt(), on the same port and data. */
  restart(): Promise<void>;
}

/** initdb and postgres on PATH, or in Debian's /usr/lib/postgresql/<version>/bin (the newest). */
export function findPostgresBin(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  if (onPath.status === 0 && onPath.stdout.trim()) {
    const dir = path.dirname(fs.realpathSync(onPath.stdout.trim()));
    if (fs.existsSync(path.join(dir, 'postgres'))) return dir;
  }
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('running as root and there is no postgres user to run PostgreSQL as (apt-get install -y postgresql creates it)');
  return { uid, gid };
}

const notFound = 'PostgreSQL not found (initdb on PATH or /usr/lib/postgresql/*/bin); install it with `apt-get install -y postgresql`';

/** Call from a suite's `before` hook (give it a minute): a running server, or skips / fails the suite. */
export async function requirePostgres(ctx: Mocha.Context): Promise<PostgresServer> {
  if (!findPostgresBin()) {
    if (process.env.CI === 'true') throw new Error(`${notFound}. Under CI=true the PostgreSQL store tests must run, so this is a failure.`);
    console.warn(`      skipped: ${notFound}`);
    ctx.skip();
  }
  return startPostgres();
}

/**
 * A fresh cluster, started (the benchmarks call this directly, `durable` so that a commit waits for the
 * disk as SQLite's synchronous=FULL does). Throws when PostgreSQL is not installed.
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(notFound);
  const user = runAs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-pg-'));
  if (user.uid !== undefined) fs.chownSync(dir, user.uid, user.gid!);
  const data = path.join(dir, 'data');
  const init = spawnSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'switchboard', '--auth=trust', '-E', 'UTF8', '--no-sync'], { encoding: 'utf8', ...user, cwd: dir });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const base = `postgresql://switchboard@127.0.0.1:${port}`;
  let server: ChildProcess | undefined;
  let output = '';
  const halt = async (): Promise<void> => {
    const running = server;
    server = undefined;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = new Promise((r) => running.once('exit', r));
      running.kill('SIGINT'); // fast shutdown: ends the sessions, then the postmaster and its workers
      await exited;
    }
  };
  const stop = async (): Promise<void> => {
    await halt();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const launch = async (): Promise<void> => {
    const started = spawn(
      path.join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200',
        ...(options.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'])],
      { stdio: ['ignore', 'pipe', 'pipe'], ...user, cwd: dir },
    );
    server = started;
    output = '';
    started.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    started.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const until = Date.now() + 30_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`postgres exited (${started.exitCode}): ${output}`);
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (Date.now() > until) {
          await stop();
          throw new Error(`postgres did not accept connections within 30 s: ${(err as Error).message}\n${output}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  await launch();
  let made = 0;
  return {
    async createDatabase(): Promise<string> {
      const name = `switchboard_${process.pid}_${++made}`;
      const admin = new pg.Client({ connectionString: `${base}/postgres` });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `${base}/${name}`;
    },
    stop,
    async halt(): Promise<void> {
      await halt();
    },
    async restart(): Promise<void> {
      await launch();
    },
  };
}
