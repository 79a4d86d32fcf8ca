/** Starts `src/main.ts` as its own process (local mode, loopback) and resolves with its URL once it listens. */
import { spawn, type ChildProcess } from 'node:child_process';
import { SqliteStore } from '../../src/store/sqlite-store';
import { demoTenant } from '../../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../../src/tenant/sim/simulated-tenant';

export function startBotProcess(dataDir: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; startedAt: number }> {
  const startedAt = performance.now();
  // One node process (not the tsx CLI, whose child would outlive a kill of the CLI).
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
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

/**
 * A data directory for the Mediation Server wait: the demo tenant with an account (MS Two,
 * ms-two@contoso.com) that reaches Skype for Business Online `syncDelayMs` from now, and site Seattle
 * with ms2.contoso.com in the inventory.
 */
export async function seedMediationWait(dataDir: string, syncDelayMs: number): Promise<void> {
  const sim = new SimulatedTenant({ initial: demoTenant(), dataDir });
  sim.createDirectoryAccount({ upn: 'ms-two@contoso.com', displayName: 'MS Two', licenses: ['ENTERPRISEPREMIUM'], syncDelayMs });
  await sim.close();
  const seed = new SqliteStore(dataDir);
  await seed.putSite({ name: 'Seattle', edgeFqdn: 'ap.contoso.com', mediationServers: [{ fqdn: 'ms2.contoso.com' }], gateways: [] }, { at: new Date().toISOString(), actor: 'system', event: 'inventory.site' });
  await seed.close();
}
