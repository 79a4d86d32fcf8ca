/**
 * The composition root: wires the store, the tenant backend, the workflow and the conversation core.
 * Knows nothing of botbuilder: main.ts hands the Teams edge's outbox in, and the edge feeds turns to the result.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGatewayCertificates, type GatewayCertificates } from './certs/gateway-certificates';
import { commands, findCommand } from './catalog/index';
import { Switchboard } from './chat/switchboard';
import type { ChatOutbox } from './model/people';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import type { Logger } from './log';
import { networkRuntime } from './network/runtime';
import { openStore } from './store/open-store';
import type { Store } from './store/store';
import { demoTenant } from './tenant/sim/demo-tenant';
import { SimulatedTenant } from './tenant/sim/simulated-tenant';
import type { TenantPort } from './tenant/port';
import { createPowerShellTenant, reapOrphans } from './tenant/powershell/index';
import { GraphClient } from './tenant/graph/client';
import { GraphNumberAssignment } from './tenant/graph/number-assignment';
import { isRunning, ownStartTime } from './tenant/powershell/orphans';
import { Executor } from './workflow/executor';
import { RequestNotifier } from './workflow/notifier';
import { RequestService } from './workflow/requests';

export interface Core {
  switchboard: Switchboard;
  store: Store;
  tenant: TenantPort;
  requests: RequestService;
  executor: Executor;
  notifier: RequestNotifier;
  /** Gateway keys and PFX files (seed step 2); the edge serves their one-time links at /download/. */
  certificates: GatewayCertificates;
  /** Expires overdue requests and resumes interrupted ones; runs at start and then periodically. */
  maintain(): Promise<void>;
  close(): Promise<void>;
}

export type CoreConfig = Pick<Config, 'APPROVER_IDS' | 'ALLOW_SELF_APPROVAL' | 'APPROVAL_TTL_HOURS' | 'ALLOWED_TENANT_IDS' | 'TENANT_BACKEND' | 'DATA_DIR'> &
  Partial<Pick<Config, 'ACCOUNT_SYNC_POLL_S' | 'ACCOUNT_SYNC_DEADLINE_MIN'>> &
  Partial<Pick<Config, 'KEY_STORE_SECRET' | 'KEY_STORE_SECRET_FILE' | 'DOWNLOAD_LINK_TTL_MINUTES' | 'PUBLIC_URL'>> &
  Partial<Pick<Config, 'AUDIT_KEY' | 'AUDIT_KEY_FILE' | 'AUDIT_CHECKPOINT_FILE' | 'AUDIT_CHECKPOINT_EVERY' | 'AUDIT_VERIFY_INTERVAL_S' | 'AUDIT_FULL_VERIFY_HOURS' | 'DATABASE_URL' | 'DATABASE_POOL_SIZE'>>;

/**
 * The tenant backend TENANT_BACKEND names. The stand-in keeps its state under DATA_DIR/stub-tenant,
 * seeded with the same demo tenant as the simulated backend.
 */
export async function createTenant(config: Config): Promise<TenantPort> {
  const dataDir = path.resolve(config.DATA_DIR);
  if (config.TENANT_BACKEND === 'sim') return new SimulatedTenant({ initial: demoTenant(), dataDir });
  if (config.TENANT_BACKEND === 'powershell') {
    const powershell = createPowerShellTenant({ backend: 'powershell', config });
    if (config.GRAPH_NUMBERS !== 'on') return powershell;
    // The config check guarantees the three are set when GRAPH_NUMBERS is on.
    const graph = new GraphClient({ baseUrl: config.GRAPH_URL, loginUrl: config.GRAPH_LOGIN_URL, tenantId: config.GRAPH_TENANT_ID!, clientId: config.GRAPH_CLIENT_ID!, clientSecret: config.GRAPH_CLIENT_SECRET! });
    return new GraphNumberAssignment(powershell, graph);
  }
  const stubDir = path.join(dataDir, 'stub-tenant');
  if (!fs.existsSync(path.join(stubDir, 'sim-tenant.json'))) await new SimulatedTenant({ initial: demoTenant(), dataDir: stubDir }).close();
  return createPowerShellTenant({ backend: 'powershell-stub', config, stub: { dataDir: stubDir, profile: config.SWITCHBOARD_STUB_PROFILE } });
}

/** How often this process's instance record says it is alive. */
const heartbeatMs = 5_000;

/**
 * Every instance on this host and DATA_DIR whose process is gone (its pid no longer runs, or now belongs
 * to another process) is marked dead, but only once every pwsh session it left is gone too: from that
 * moment its running requests are recovered at once, and nothing of the dead process can still reach the
 * tenant. Instances on other hosts, or on another DATA_DIR here (several instances on one PostgreSQL
 * database), keep sessions this process cannot reap: they are left to their leases.
 */
async function takeOverDeadInstances(store: Store, dataDir: string, self: string, clock: Clock, log: Logger): Promise<void> {
  const gone = (await store.listLiveInstances(os.hostname()))
    .filter((i) => i.id !== self && (i.dataDir === undefined || i.dataDir === dataDir) && !isRunning(i.pid, i.processStart));
  if (gone.length === 0) return;
  const reaped = await reapOrphans(dataDir);
  if (reaped.survivors.length > 0) {
    log.error({ survivors: reaped.survivors }, 'pwsh sessions of a dead bot process would not die; its requests wait for their lease');
    return;
  }
  await store.markInstancesDead(gone.map((i) => i.id), clock.now());
  log.info({ instances: gone.map((i) => ({ id: i.id, pid: i.pid })), reaped: reaped.reaped }, 'previous bot processes are gone; resuming their requests');
}

function isFullConfig(c: CoreConfig): c is Config {
  return 'PS_POOL_SIZE' in c;
}

export async function createCore(args: { config: CoreConfig; outbox: ChatOutbox; log: Logger; clock?: Clock; tenant?: TenantPort; store?: Store }): Promise<Core> {
  const clock = args.clock ?? systemClock;
  const c = args.config;
  const store = args.store ?? await openStore({
    DATA_DIR: path.resolve(c.DATA_DIR), DATABASE_URL: c.DATABASE_URL, DATABASE_POOL_SIZE: c.DATABASE_POOL_SIZE,
    AUDIT_KEY: c.AUDIT_KEY, AUDIT_KEY_FILE: c.AUDIT_KEY_FILE, AUDIT_CHECKPOINT_FILE: c.AUDIT_CHECKPOINT_FILE,
    AUDIT_CHECKPOINT_EVERY: c.AUDIT_CHECKPOINT_EVERY, AUDIT_VERIFY_INTERVAL_S: c.AUDIT_VERIFY_INTERVAL_S ?? 30, AUDIT_FULL_VERIFY_HOURS: c.AUDIT_FULL_VERIFY_HOURS,
  });
  let tenant = args.tenant;
  if (!tenant) {
    if (!isFullConfig(args.config)) throw new Error('createCore needs a tenant or the full configuration to make one.');
    tenant = await createTenant(args.config);
    // Start a pwsh session while the edge starts: recovery after a restart should not wait for a cold pwsh.
    if (tenant.backend !== 'sim') void tenant.describe().catch((err) => args.log.warn({ err }, 'could not start a PowerShell session at start-up'));
  }
  const requests = new RequestService(store, clock, {
    approverIds: args.config.APPROVER_IDS,
    allowSelfApproval: args.config.ALLOW_SELF_APPROVAL,
    ttlHours: args.config.APPROVAL_TTL_HOURS,
  });
  // This process's instance record first: every claim from here on names it.
  const dataDir = path.resolve(args.config.DATA_DIR);
  const instanceId = randomUUID();
  await store.registerInstance({ id: instanceId, pid: process.pid, host: os.hostname(), processStart: ownStartTime(), startedAt: clock.now().toISOString(), dataDir }, clock.now());
  const heartbeat = setInterval(() => void store.heartbeat(instanceId, clock.now()).catch((err) => args.log.warn({ err }, 'instance heartbeat failed')), heartbeatMs);
  heartbeat.unref();
  const notifier = new RequestNotifier(store, args.outbox, args.log, findCommand);
  const certificates = createGatewayCertificates(c, async () => networkRuntime(), (message) => args.log.warn(message), { shared: store.sealedItems?.(), now: () => clock.now().getTime() });
  const executor = new Executor(store, tenant, notifier, clock, args.log, findCommand, certificates);
  const switchboard = new Switchboard({
    store, tenant, requests, executor, notifier, certificates, outbox: args.outbox, clock, log: args.log, commands,
    allowedTenantIds: args.config.ALLOWED_TENANT_IDS, approverIds: args.config.APPROVER_IDS,
    settings: { accountSync: { firstPollMs: (args.config.ACCOUNT_SYNC_POLL_S ?? 15) * 1000, deadlineMs: (args.config.ACCOUNT_SYNC_DEADLINE_MIN ?? 60) * 60_000 } },
  });
  return {
    switchboard, store, tenant, requests, executor, notifier, certificates,
    async maintain() {
      // Dead processes (and their pwsh sessions) are gone before recovery reads the tenant back.
      await takeOverDeadInstances(store, dataDir, instanceId, clock, args.log);
      for (const expired of await requests.expireDue()) await notifier.refreshCards(expired);
      await executor.recover();
      const swept = await certificates.sweep();
      if (swept > 0) args.log.info({ swept }, 'deleted PFX files whose download link expired unused');
    },
    async close() {
      clearInterval(heartbeat);
      await switchboard.idle();
      executor.stop();
      await executor.idle();
      await tenant.close();
      // A clean stop: nothing of this process is left running, so nothing waits on it.
      await store.markInstancesDead([instanceId], clock.now());
      await store.close();
    },
  };
}
