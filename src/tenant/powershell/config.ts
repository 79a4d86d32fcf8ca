/**
 * Configuration of the PowerShell backend, read from an env-like record. Exported for the app config to merge.
 * Numbers arrive as strings; empty strings count as unset (a blank line in .env must not become 0).
 */
import fs from 'node:fs';
import os from 'node:os';
import type forge from 'node-forge';
import { nodeForge } from '../../certs/forge';
import { z } from 'zod';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(blankToUndefined, z.string().min(1).optional());
const count = (min: number, max: number, fallback: number) =>
  z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).default(fallback));

export function defaultPoolSize(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(4, cores));
}

export const PowerShellTenantConfig = z.object({
  /**
   * pwsh processes kept warm. By default one per core, at most 4: measured on 2 cores, sessions beyond the
   * core count only take turns on the same CPUs and made 1,000 enables slower (docs/benchmarks.md).
   */
  PS_POOL_SIZE: count(1, 32, defaultPoolSize()),
  /** Per-command timeout; the process running a command past it is killed. */
  PS_COMMAND_TIMEOUT_S: count(1, 3600, 60),
  /** A session is replaced after this many commands (bounds leaks in long-lived module state). */
  // A new session costs a pwsh start and a connect (and, on the stand-in, a re-read of every change): recycle rarely.
  PS_MAX_COMMANDS_PER_SESSION: count(1, 1_000_000, 5000),
  /** Import-Module MicrosoftTeams + Connect-MicrosoftTeams can take tens of seconds on a cold machine. */
  PS_CONNECT_TIMEOUT_S: count(1, 3600, 120),
  PWSH_PATH: optionalText,
  TEAMS_APP_ID: optionalText,
  TEAMS_TENANT_ID: optionalText,
  TEAMS_CERT_THUMBPRINT: optionalText,
  TEAMS_CERT_PATH: optionalText,
  TEAMS_CERT_PASSWORD: optionalText,
});
export type PowerShellTenantConfig = z.infer<typeof PowerShellTenantConfig>;

/** App-only credentials for Connect-MicrosoftTeams: a certificate by thumbprint, or loaded from a PFX file. */
export type TeamsCredentials =
  | { applicationId: string; tenantId: string; certificateThumbprint: string }
  | { applicationId: string; tenantId: string; certificatePath: string; certificatePassword?: string };

/** The real backend needs app-only credentials; the stand-in backend does not. Throws a readable error. */
export function teamsCredentials(config: PowerShellTenantConfig): TeamsCredentials {
  const missing: string[] = [];
  if (!config.TEAMS_APP_ID) missing.push('TEAMS_APP_ID');
  if (!config.TEAMS_TENANT_ID) missing.push('TEAMS_TENANT_ID');
  if (!config.TEAMS_CERT_THUMBPRINT && !config.TEAMS_CERT_PATH) missing.push('TEAMS_CERT_THUMBPRINT or TEAMS_CERT_PATH');
  if (config.TEAMS_CERT_THUMBPRINT && config.TEAMS_CERT_PATH) {
    throw new Error('Set either TEAMS_CERT_THUMBPRINT or TEAMS_CERT_PATH for the PowerShell backend, not both.');
  }
  if (missing.length > 0) throw new Error(`The PowerShell backend needs ${missing.join(', ')}.`);
  const base = { applicationId: config.TEAMS_APP_ID!, tenantId: config.TEAMS_TENANT_ID! };
  if (config.TEAMS_CERT_THUMBPRINT) return { ...base, certificateThumbprint: config.TEAMS_CERT_THUMBPRINT };
  checkCertificate(config.TEAMS_CERT_PATH!, config.TEAMS_CERT_PASSWORD);
  return { ...base, certificatePath: config.TEAMS_CERT_PATH!, ...(config.TEAMS_CERT_PASSWORD ? { certificatePassword: config.TEAMS_CERT_PASSWORD } : {}) };
}

/** The configuration as it may be logged: the certificate password never appears. */
export function redactedConfig(config: PowerShellTenantConfig): Record<string, unknown> {
  return { ...config, ...(config.TEAMS_CERT_PASSWORD ? { TEAMS_CERT_PASSWORD: '[redacted]' } : {}) };
}

/**
 * Opens the PFX the way Connect-MicrosoftTeams will, so a wrong password or an unreadable file stops start-up
 * with one line instead of failing every session later. The password is never part of the message.
 */
export function checkCertificate(file: string, password: string | undefined): void {
  let der: Buffer;
  try {
    der = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`TEAMS_CERT_PATH ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  const f = nodeForge();
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = f.pkcs12.pkcs12FromAsn1(f.asn1.fromDer(f.util.createBuffer(der.toString('binary'))), password ?? '');
  } catch {
    throw new Error(`TEAMS_CERT_PASSWORD does not open TEAMS_CERT_PATH ${file} (wrong password, or not a PFX file).`);
  }
  const keys = [f.pki.oids.pkcs8ShroudedKeyBag!, f.pki.oids.keyBag!].flatMap((bagType) => p12.getBags({ bagType })[bagType] ?? []);
  if (keys.length === 0) throw new Error(`TEAMS_CERT_PATH ${file} holds no private key; Connect-MicrosoftTeams needs the certificate with its key.`);
}
