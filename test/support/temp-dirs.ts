/** Temporary data directories for tests, removed when the run ends (a mocha root hook). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `switchboard-${prefix}-`));
  made.push(dir);
  return dir;
}

export const mochaHooks = {
  afterAll(): void {
    for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  },
};
