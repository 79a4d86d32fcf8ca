/**
 * Configuration from the environment, validated at start. Every wrong value gets its own line, and the
 * process refuses to start rather than run half-configured.
 */
import { z } from 'zod';
import { PowerShellTenantConfig, teamsCredentials } from './tenant/powershell/config';
import { NetworkConfig } from './network/config';

/** Ada Admin, the playground's approver: who approves in local mode when APPROVER_IDS is empty. */
export const localDemoApproverId = '22222222-2222-4222-8222-222222222222';

const boolFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const idList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[0-9a-fA-F-]{8,64}$/, 'must be a comma-separated list of Entra object ids (GUIDs)')));

/** The secret and the token travel to these: https, or http to this machine only (a local stand-in). */
const graphUrl = z.url({ protocol: /^https?$/ }).refine((u) => u.startsWith('https:') || isLoopback(new URL(u).hostname.replace(/^\[|\]$/g, '')), 'must be https (plain http only to a loopback address)');

export const ConfigSchema = z
  .object({
    PORT: z.coerce.number().int().min(0, "must be 0 (any free port) or a port number").max(65535).default(3978),
    HOST: z.string().min(1).optional(),
    /** The address people reach the bot at, e.g. https://switchboard.contoso.com: one-time PFX links point there. */
    PUBLIC_URL: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.url({ protocol: /^https?$/, error: 'must be the bot\'s http(s) address, e.g. https://switchboard.contoso.com' }).optional()),
    MicrosoftAppId: z.string().trim().default(''),
    MicrosoftAppPassword: z.string().default(''),
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('SingleTenant'),
    MicrosoftAppTenantId: z.string().default(''),
    ALLOWED_TENANT_IDS: idList,
    APPROVER_IDS: idList,
    ALLOW_SELF_APPROVAL: boolFlag,
    APPROVAL_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
    TENANT_BACKEND: z.enum(['sim', 'powershell', 'powershell-stub']).default('sim'),
    DATA_DIR: z.string().min(1).default('./data'),
    /** The store on PostgreSQL, for several instances (postgres://user:password@host:5432/db); unset: SQLite under DATA_DIR. */
    DATABASE_URL: z.string().trim().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL, e.g. postgres://switchboard@db.contoso.com:5432/switchboard').optional(),
    /** Connections each instance keeps to PostgreSQL for records (two more for hints); mind the server's max_connections across instances. */
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** How often a new account is looked for in Skype for Business Online at first (doubling up to 5 min). */
    ACCOUNT_SYNC_POLL_S: z.coerce.number().positive().max(3600).default(15),
    /** How long a new account may take to reach Skype for Business Online (the seed: "up to one hour"). */
    ACCOUNT_SYNC_DEADLINE_MIN: z.coerce.number().positive().max(24 * 60).default(60),
    /** Where the channel's signing keys are announced (tests point it at a local server). */
    BOT_OPENID_METADATA_URL: z.url().default('https://login.botframework.com/v1/.well-known/openidconfiguration'),
    /** Incoming limits at the edge, per user (Entra object id) and per tenant; past them the bot answers in chat. */
    RATE_USER_MESSAGES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
    RATE_USER_INVOKES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(60),
    RATE_TENANT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
    /** Outgoing Connector calls per second for the whole app (Teams allows about 50 per app per tenant). */
    OUTBOUND_APP_PER_SECOND: z.coerce.number().int().min(1).max(10_000).default(50),
    /** Which module the stand-in (TENANT_BACKEND=powershell-stub) imitates: the CCE-era one, or a current one that no longer reports some properties. */
    SWITCHBOARD_STUB_PROFILE: z.enum(['cce', 'teams-current']).default('cce'),
    /** Assign numbers through Microsoft Graph v1.0 (assignNumber) instead of Set-CsPhoneNumberAssignment; everything else stays PowerShell. */
    GRAPH_NUMBERS: z.enum(['off', 'on']).default('off'),
    /** The Entra app Switchboard calls Graph as (application permission TeamsTelephoneNumber.ReadWrite.All). */
    GRAPH_TENANT_ID: z.string().trim().optional(),
    GRAPH_CLIENT_ID: z.string().trim().optional(),
    GRAPH_CLIENT_SECRET: z.string().optional(),
    GRAPH_URL: graphUrl.default('https://graph.microsoft.com/v1.0'),
    GRAPH_LOGIN_URL: graphUrl.default('https://login.microsoftonline.com'),
    /** The audit log's HMAC key, base64 of at least 32 bytes (e.g. from Key Vault); else AUDIT_KEY_FILE. */
    AUDIT_KEY: z.string().refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v.trim()) && Buffer.from(v.trim(), 'base64').length >= 32, 'must be base64 of at least 32 bytes').optional(),
    /** A file holding that key, readable by the service user alone; default switchboard-audit.key next to DATA_DIR, made on first start. */
    AUDIT_KEY_FILE: z.string().min(1).optional(),
    /** The audit head anchored outside the database; default DATA_DIR/audit.checkpoint. */
    AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
    /** A checkpoint every N audit entries; also the most entries history checks in one turn. */
    AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(10).max(100_000).default(1000),
    /** How often the background verification moves forward, and how often it re-checks the whole chain. */
    AUDIT_VERIFY_INTERVAL_S: z.coerce.number().positive().max(86_400).default(30),
    AUDIT_FULL_VERIFY_HOURS: z.coerce.number().positive().max(24 * 30).default(6),
    /** How far the JS heap may grow past its live size before a full GC, in percent; 0 leaves it to V8 (src/heap.ts). */
    HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0, 'must be 0 (V8 decides) or a percentage such as 50').max(300).default(50),
    /** How many times sooner V8 optimizes hot functions than by itself; 1 leaves it to V8 (src/jit.ts, Node 20 only). */
    JIT_TIER_UP_FACTOR: z.coerce.number().int().min(1, 'must be 1 (V8 decides) or a factor such as 4').max(16).default(4),
  })
  .extend(PowerShellTenantConfig.shape)
  .extend(NetworkConfig.shape)
  .transform((c) => {
    const localMode = c.MicrosoftAppId === '';
    // So that `npm start` alone walks the approval flow in the playground; never outside local mode.
    const approversDefaulted = localMode && c.APPROVER_IDS.length === 0;
    return { ...c, localMode, approversDefaulted, APPROVER_IDS: approversDefaulted ? [localDemoApproverId] : c.APPROVER_IDS, HOST: c.HOST ?? (localMode ? '127.0.0.1' : '0.0.0.0') };
  })
  .superRefine((c, ctx) => {
    if (c.localMode && !isLoopback(c.HOST)) {
      ctx.addIssue({ code: 'custom', path: ['HOST'], message: `authentication is off (MicrosoftAppId is empty), so HOST must be a loopback address, not ${c.HOST}` });
    }
    if (!c.localMode && c.MicrosoftAppType === 'SingleTenant' && !c.MicrosoftAppTenantId) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppTenantId'], message: 'is required when MicrosoftAppType is SingleTenant' });
    }
    if (c.TENANT_BACKEND === 'powershell') {
      try {
        teamsCredentials(c);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['TENANT_BACKEND'], message: (err as Error).message });
      }
    }
    if (c.GRAPH_NUMBERS === 'on') {
      // Graph would assign numbers in a real tenant while every read came from the simulated or stand-in one.
      if (c.TENANT_BACKEND !== 'powershell') ctx.addIssue({ code: 'custom', path: ['GRAPH_NUMBERS'], message: `assigns numbers in a real tenant, so it needs TENANT_BACKEND=powershell, not ${c.TENANT_BACKEND}` });
      for (const name of ['GRAPH_TENANT_ID', 'GRAPH_CLIENT_ID', 'GRAPH_CLIENT_SECRET'] as const) {
        if (!c[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when GRAPH_NUMBERS is on' });
      }
    }
    if (c.DATABASE_URL && !c.AUDIT_KEY && !c.AUDIT_KEY_FILE) {
      ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'needs AUDIT_KEY or AUDIT_KEY_FILE: every instance on the database signs its audit log with the same key' });
    }
    if (!c.localMode && c.MicrosoftAppType !== 'UserAssignedMSI' && !c.MicrosoftAppPassword) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppPassword'], message: 'is required when MicrosoftAppId is set' });
    }
  });

export type Config = z.output<typeof ConfigSchema>;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an env-like record; throws ConfigError listing every problem, one per line. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = ConfigSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`));
  }
  return result.data;
}
