/**
 * A mocha root hook that fails the run if a process a test started is still alive at the end (a bot
 * still listening, a pwsh still running). Every child inherits a marker in its environment, so even a
 * process whose parent was killed (and that now belongs to init) is found. Linux only (/proc).
 */
import fs from 'node:fs';

const marker = 'SWITCHBOARD_TEST_RUN';

function leftovers(): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
      if (!environ.split('\0').includes(`${marker}=${process.pid}`)) continue;
      // A zombie has exited already; only its parent's wait is missing.
      if (/\)\s+Z\s/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))) continue;
      found.push({ pid, command: fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim() });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

export const mochaHooks = {
  beforeAll(): void {
    process.env[marker] = String(process.pid);
  },
  async afterAll(): Promise<void> {
    if (!fs.existsSync('/proc/self/environ')) return;
    // A process killed a moment ago may still be on its way out.
    let left = leftovers();
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = leftovers();
    }
    if (left.length > 0) {
      // Fail, and still leave the machine clean.
      for (const p of left) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      throw new Error(`The tests left ${left.length} process(es) running:\n${left.map((p) => `  ${p.pid} ${p.command}`).join('\n')}`);
    }
  },
};
