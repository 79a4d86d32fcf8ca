/**
 * Operations endpoints and shutdown, registered on the same restify server as /api/messages:
 * /readyz (store reachable, tenant backend ready, with the reason when not), and a drain that refuses
 * new turns while those in flight finish. Lives beside the playground because both are what the edge
 * mounts with one call (mountLocalAndOperations); neither knows botbuilder.
 */
import type * as restify from 'restify';
import type { Config } from '../config';
import { StoreUnavailable } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import type { TenantPort } from '../tenant/port';
import { mountPlayground, type Playground } from './index';
import { demoIdentities } from './identities';

/** How long /readyz waits for each probe before calling it not ready. */
const probeTimeoutMs = 5_000;

export interface Readiness {
  ready: boolean;
  backend: string;
  moduleVersion?: string;
  /** Why not, one line each. */
  reasons: string[];
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export async function readiness(store: Store, tenant: TenantPort, draining: boolean, timeoutMs = probeTimeoutMs): Promise<Readiness> {
  const reasons: string[] = [];
  if (draining) reasons.push('shutting down: finishing the turns in flight');
  try {
    await withTimeout(store.getConversation('readyz-probe'), timeoutMs, 'the store');
  } catch (err) {
    reasons.push(`store not reachable: ${err instanceof StoreUnavailable ? err.detail : (err as Error).message}`);
  }
  let moduleVersion: string | undefined;
  try {
    if (tenant.ready) {
      const probe = await withTimeout(tenant.ready(), timeoutMs, `the ${tenant.backend} tenant backend`);
      if (!probe.ready) reasons.push(`tenant backend ${tenant.backend} not ready: ${probe.reason ?? 'no reason given'}`);
    }
    if (reasons.length === 0 || !tenant.ready) moduleVersion = (await withTimeout(tenant.describe(), timeoutMs, `the ${tenant.backend} tenant backend`)).moduleVersion;
  } catch (err) {
    reasons.push(`tenant backend ${tenant.backend} not ready: ${(err as Error).message}`);
  }
  return { ready: reasons.length === 0, backend: tenant.backend, ...(moduleVersion ? { moduleVersion } : {}), reasons };
}

export interface MountedExtras {
  playground?: Playground;
  /** Prints where the playground is and who approves, once the server listens. */
  announce(url: string): void;
  /** Refuses new turns (503) and resolves when the requests in flight have finished, or after timeoutMs. */
  drain(timeoutMs?: number): Promise<void>;
  /** Ends the playground's open event streams so the server can close. */
  close(): void;
}

/** Paths that keep answering while draining: probes, and the Connector endpoints running executions post their updates to. */
const servedWhileDraining = /^\/(healthz|readyz)$|^\/playground\/v3\//;

/**
 * The one call the edge makes: /readyz and the drain gate always, the playground and its local
 * Connector in local mode only.
 */
export function mountLocalAndOperations(
  server: restify.Server,
  deps: { config: Pick<Config, 'localMode' | 'APPROVER_IDS' | 'ALLOWED_TENANT_IDS' | 'approversDefaulted'>; store: Store; tenant: TenantPort; log: Logger; selfUrl(): string },
): MountedExtras {
  let draining = false;
  let inFlight = 0;
  let idle: (() => void)[] = [];

  server.use((req, res, next) => {
    const url = req.url ?? '';
    if (draining && !servedWhileDraining.test(url.split('?')[0]!)) {
      res.setHeader('connection', 'close');
      res.send(503, { error: 'Switchboard is shutting down; try again in a moment.' });
      return next(false);
    }
    // An event stream stays open for as long as the page does; it is not a turn to wait for.
    if (url.startsWith('/playground/events')) return next();
    inFlight++;
    let done = false;
    res.once('close', () => {
      if (done) return;
      done = true;
      inFlight--;
      if (inFlight === 0) idle.splice(0).forEach((r) => r());
    });
    return next();
  });

  server.get('/readyz', async (_req, res) => {
    const r = await readiness(deps.store, deps.tenant, draining);
    res.send(r.ready ? 200 : 503, r);
  });

  const playground = deps.config.localMode
    ? mountPlayground(server, { selfUrl: deps.selfUrl, approverIds: deps.config.APPROVER_IDS, allowedTenantIds: deps.config.ALLOWED_TENANT_IDS, log: deps.log })
    : undefined;

  return {
    ...(playground ? { playground } : {}),
    announce(url) {
      if (!playground) return;
      const approvers = deps.config.APPROVER_IDS.map((id) => {
        const who = demoIdentities.find((i) => i.aadObjectId.toLowerCase() === id.toLowerCase());
        return who ? `${who.name} (${id})` : id;
      });
      const why = deps.config.approversDefaulted ? ' (the demo approver, because APPROVER_IDS is empty; local mode only)' : '';
      process.stderr.write(`!! Playground: open ${url}/ in a browser to chat as Alice Operator, Ada Admin or Victor Viewer.\n!! Approvers: ${approvers.join(', ') || 'none'}${why}\n`);
      deps.log.info({ playground: `${url}/`, approvers: deps.config.APPROVER_IDS }, `Playground at ${url}/`);
    },
    async drain(timeoutMs = 10_000) {
      draining = true;
      if (inFlight === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        idle.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      idle = [];
    },
    close() {
      playground?.close();
    },
  };
}
