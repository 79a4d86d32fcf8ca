/**
 * The composition root: wires the store, the tenant backend, the workflow and the conversation core.
 * Knows nothing of botbuilder: main.ts hands the Teams edge's outbox in, and the edge feeds turns to the result.
 */
import fs from 'node:fs';
import path from 'node:path';
import { commands, findCommand } from './catalog/index';
import { Switchboard } from './chat/switchboard';
import type { ChatOutbox } from './chat/ports';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import type { Logger } from './log';
import { SqliteStore } from './store/sqlite-store';
import type { Store } from './store/store';
import { demoTenant } from './tenant/sim/demo-tenant';
import { SimulatedTenant } from './tenant/sim/simulated-tenant';
import type { TenantPort } from './tenant/port';
import { createPowerShellTenant } from './tenant/powershell/index';
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
  /** Expires overdue requests and resumes interrupted ones; runs at start and then periodically. */
  maintain(): Promise<void>;
  close(): Promise<void>;
}

export type CoreConfig = Pick<Config, 'APPROVER_IDS' | 'ALLOW_SELF_APPROVAL' | 'APPROVAL_TTL_HOURS' | 'ALLOWED_TENANT_IDS' | 'TENANT_BACKEND' | 'DATA_DIR'> &
  Partial<Pick<Config, 'ACCOUNT_SYNC_POLL_S' | 'ACCOUNT_SYNC_DEADLINE_MIN'>> &
  Partial<Pick<Config, 'AUDIT_KEY' | 'AUDIT_KEY_FILE' | 'AUDIT_CHECKPOINT_FILE' | 'AUDIT_CHECKPOINT_EVERY' | 'AUDIT_VERIFY_INTERVAL_S' | 'AUDIT_FULL_VERIFY_HOURS'>>;

/**
 * The tenant backend TENANT_BACKEND names. The stand-in keeps its state under DATA_DIR/stub-tenant,
 * seeded with the same demo tenant as the simulated backend.
 */
export async function createTenant(config: Config): Promise<TenantPort> {
  const dataDir = path.resolve(config.DATA_DIR);
  if (config.TENANT_BACKEND === 'sim') return new SimulatedTenant({ initial: demoTenant(), dataDir });
  if (config.TENANT_BACKEND === 'powershell') return createPowerShellTenant({ backend: 'powershell', config });
  const stubDir = path.join(dataDir, 'stub-tenant');
  if (!fs.existsSync(path.join(stubDir, 'sim-tenant.json'))) await new SimulatedTenant({ initial: demoTenant(), dataDir: stubDir }).close();
  return createPowerShellTenant({ backend: 'powershell-stub', config, stub: { dataDir: stubDir, profile: config.SWITCHBOARD_STUB_PROFILE } });
}

function isFullConfig(c: CoreConfig): c is Config {
  return 'PS_POOL_SIZE' in c;
}

export async function createCore(args: { config: CoreConfig; outbox: ChatOutbox; log: Logger; clock?: Clock; tenant?: TenantPort; store?: Store }): Promise<Core> {
  const clock = args.clock ?? systemClock;
  const c = args.config;
  const store = args.store ?? new SqliteStore(path.resolve(c.DATA_DIR), {
    AUDIT_KEY: c.AUDIT_KEY, AUDIT_KEY_FILE: c.AUDIT_KEY_FILE, AUDIT_CHECKPOINT_FILE: c.AUDIT_CHECKPOINT_FILE,
    AUDIT_CHECKPOINT_EVERY: c.AUDIT_CHECKPOINT_EVERY, AUDIT_VERIFY_INTERVAL_S: c.AUDIT_VERIFY_INTERVAL_S ?? 30, AUDIT_FULL_VERIFY_HOURS: c.AUDIT_FULL_VERIFY_HOURS,
  });
  let tenant = args.tenant;
  if (!tenant) {
    if (!isFullConfig(args.config)) throw new Error('createCore needs a tenant or the full configuration to make one.');
    tenant = await createTenant(args.config);
  }
  const requests = new RequestService(store, clock, {
    approverIds: args.config.APPROVER_IDS,
    allowSelfApproval: args.config.ALLOW_SELF_APPROVAL,
    ttlHours: args.config.APPROVAL_TTL_HOURS,
  });
  const notifier = new RequestNotifier(store, args.outbox, args.log, findCommand);
  const executor = new Executor(store, tenant, notifier, clock, args.log, findCommand);
  const switchboard = new Switchboard({
    store, tenant, requests, executor, notifier, outbox: args.outbox, clock, log: args.log, commands,
    allowedTenantIds: args.config.ALLOWED_TENANT_IDS, approverIds: args.config.APPROVER_IDS,
    settings: { accountSync: { firstPollMs: (args.config.ACCOUNT_SYNC_POLL_S ?? 15) * 1000, deadlineMs: (args.config.ACCOUNT_SYNC_DEADLINE_MIN ?? 60) * 60_000 } },
  });
  return {
    switchboard, store, tenant, requests, executor, notifier,
    async maintain() {
      for (const expired of await requests.expireDue()) await notifier.refreshCards(expired);
      await executor.recover();
    },
    async close() {
      executor.stop();
      await executor.idle();
      await tenant.close();
      await store.close();
    },
  };
}
