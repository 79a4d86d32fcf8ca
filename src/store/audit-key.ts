/**
 * The audit log's HMAC key, kept outside the database: an env secret (AUDIT_KEY, base64, e.g. from Key
 * Vault) or a file readable by the service user alone (AUDIT_KEY_FILE, by default
 * `switchboard-audit.key` next to DATA_DIR, never inside it). The file is made, 32 random bytes with
 * mode 0600, only when there is no chain yet: a missing key for an existing chain stops start-up.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Why start-up stops: one line, said as is. */
export class AuditKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditKeyError';
  }
}

export interface AuditKeySettings {
  /** base64 of at least 32 bytes. */
  AUDIT_KEY?: string | undefined;
  AUDIT_KEY_FILE?: string | undefined;
}

export interface AuditKey {
  key: Buffer;
  /** Where it came from, for messages: "AUDIT_KEY" or the file's path. */
  source: string;
  created: boolean;
}

export function defaultAuditKeyFile(dataDir: string): string {
  const dir = path.resolve(dataDir);
  return path.join(path.dirname(dir), 'switchboard-audit.key');
}

function decode(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : Buffer.alloc(0);
  if (key.length < 32) throw new AuditKeyError(`The audit key in ${source} must be base64 of at least 32 bytes.`);
  return key;
}

/**
 * Reads the key, or makes the key file when `mayCreate` (the audit log is empty). Throws AuditKeyError
 * with one line when the key is missing, malformed or readable by others.
 */
export function loadAuditKey(settings: AuditKeySettings, dataDir: string, mayCreate: boolean): AuditKey {
  if (settings.AUDIT_KEY) return { key: decode(settings.AUDIT_KEY, 'AUDIT_KEY'), source: 'AUDIT_KEY', created: false };
  const file = path.resolve(settings.AUDIT_KEY_FILE ?? defaultAuditKeyFile(dataDir));
  if (!fs.existsSync(file)) {
    if (!mayCreate) throw new AuditKeyError(`The audit key ${file} is missing (set AUDIT_KEY_FILE or AUDIT_KEY to the key that signed this audit log); not starting.`);
    create(file);
    return { key: read(file), source: file, created: true };
  }
  return { key: read(file), source: file, created: false };
}

function read(file: string): Buffer {
  const st = fs.statSync(file);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new AuditKeyError(`The audit key file ${file} is readable by other users (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it.`);
  }
  return decode(fs.readFileSync(file, 'utf8'), file);
}

/** Written to a temporary name, then linked into place: never half a key, and never over another process's key. */
function create(file: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = fs.openSync(tmp, 'wx', 0o600);
    try {
      fs.writeSync(fd, `${randomBytes(32).toString('base64')}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  } catch (err) {
    if (err instanceof AuditKeyError) throw err;
    throw new AuditKeyError(`Cannot create the audit key file ${file} (${(err as Error).message}); set AUDIT_KEY_FILE to a writable path or AUDIT_KEY.`);
  }
}
