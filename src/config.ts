/**
 * Configuration from the environment, validated at start. Every wrong value gets its own line, and the
 * process refuses to start rather than run half-configured.
 */
import { z } from 'zod';
import { PowerShellTenantConfig, teamsCredentials } from './tenant/powershell/config';
import { NetworkConfig } from './network/config';

const boolFlag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const idList = z
  .string()
  .optional()
  .transform((v) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[0-9a-fA-F-]{8,64}$/, 'must be a comma-separated list of Entra object ids (GUIDs)')));

export const ConfigSchema = z
  .object({
    PORT: z.coerce.number().int().min(0, "must be 0 (any free port) or a port number").max(65535).default(3978),
    HOST: z.string().min(1).optional(),
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
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** How often a new account is looked for in Skype for Business Online at first (doubling up to 5 min). */
    ACCOUNT_SYNC_POLL_S: z.coerce.number().positive().max(3600).default(15),
    /** How long a new account may take to reach Skype for Business Online (the seed: "up to one hour"). */
    ACCOUNT_SYNC_DEADLINE_MIN: z.coerce.number().positive().max(24 * 60).default(60),
  })
  .extend(PowerShellTenantConfig.shape)
  .extend(NetworkConfig.shape)
  .transform((c) => {
    const localMode = c.MicrosoftAppId === '';
    return { ...c, localMode, HOST: c.HOST ?? (localMode ? '127.0.0.1' : '0.0.0.0') };
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
