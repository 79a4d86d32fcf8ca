/** Starts `src/main.ts` as its own process (local mode, loopback) and resolves with its URL once it listens. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export function startBotProcess(dataDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; startedAt: number }> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, [path.resolve('node_modules/tsx/dist/cli.mjs'), 'src/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', MicrosoftAppId: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`bot did not start: ${seen}`)), 60_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /Listening on (http:\/\/127\.0\.0\.1:\d+)\/api\/messages/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, startedAt });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bot exited with ${code}: ${seen}`)));
  });
}

/** Polls until `read` gives a value, or fails after the timeout. */
export async function until<T>(read: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
