/**
 * The checkpoint file: the chain's head and count outside the database (DATA_DIR/audit.checkpoint by
 * default), signed with the audit key. Deleting the newest entries leaves the file naming an entry the
 * database no longer has, so truncation is seen. Written atomically (temporary file, fsync, rename).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { checkpointMac, sameDigest, type Checkpoint } from './audit-chain';

const CheckpointFile = z.object({
  seq: z.number().int().min(0),
  head: z.string().regex(/^[0-9a-f]{64}$/),
  count: z.number().int().min(0),
  at: z.string().min(1),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

export type CheckpointRead = { state: 'absent' } | { state: 'valid'; checkpoint: Checkpoint } | { state: 'invalid'; reason: string };

export function readCheckpoint(file: string, key: Buffer): CheckpointRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    return { state: 'invalid', reason: `the checkpoint file ${file} cannot be read (${(err as Error).message})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { state: 'invalid', reason: `the checkpoint file ${file} is not JSON` };
  }
  const parsed = CheckpointFile.safeParse(json);
  if (!parsed.success) return { state: 'invalid', reason: `the checkpoint file ${file} is malformed` };
  const { mac, ...checkpoint } = parsed.data;
  if (!sameDigest(mac, checkpointMac(key, checkpoint))) return { state: 'invalid', reason: `the checkpoint file ${file} is not signed by this audit key` };
  return { state: 'valid', checkpoint };
}

export function writeCheckpoint(file: string, key: Buffer, c: Checkpoint): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify({ ...c, mac: checkpointMac(key, c) })}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  // The rename itself survives a power cut only once the directory is synced.
  try {
    const dir = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch {
    // Not every platform lets a directory be opened; the rename is still atomic.
  }
}
