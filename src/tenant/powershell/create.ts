/** The factory the app wires: a TenantPort over the real MicrosoftTeams module or over the stand-in in tenant-stub/. */
import path from 'node:path';
import { cmdletsInModules } from '../cmdlets';
import type { TenantPort } from '../port';
import { PowerShellTenantConfig, teamsCredentials } from './config';
import { locatePwsh } from './locate-pwsh';
import { SessionRegistry } from './orphans';
import { isSecretParameter } from './redact';
import { SessionPool } from './pool';
import { PowerShellTenant } from './powershell-tenant';
import { defaultRetryPolicy, type RetryPolicy } from './retry';
import type { ConnectPlan } from './script';
import { PwshSession } from './session';

/** The stand-in module shipped in the repo. */
export const stubModulePath = path.resolve(__dirname, '..', '..', '..', 'tenant-stub', 'SwitchboardStub.psd1');

export interface StubOptions {
  /** Holds sim-tenant.json (SimTenantState) and the test hooks' files. */
  dataDir: string;
  /**
   * 'teams-current' drops HostedVoiceMail and VoicePolicy from Get-CsOnlineUser like MicrosoftTeams 3.0.0+, and has
   * no MSOnline module (so no Set-MsolUser).
   */
  profile?: 'cce' | 'teams-current';
  /** Record every call's bound parameters in journal.jsonl (tests only: it slows each call down). */
  journal?: boolean;
  modulePath?: string;
}

export interface PowerShellTenantOptions {
  backend: 'powershell' | 'powershell-stub';
  /** Parsed with PowerShellTenantConfig; pass process.env or the app's merged config. */
  config: PowerShellTenantConfig | Record<string, string | undefined>;
  /** Required for 'powershell-stub'. */
  stub?: StubOptions;
  retry?: Partial<RetryPolicy>;
  /** A session idle longer than this is pinged before use (default 30 s). */
  healthCheckIdleMs?: number;
  /** How long a request may wait for a free session (default: the command timeout). */
  acquireTimeoutMs?: number;
  /**
   * Where pwsh-sessions.json records live sessions for reapOrphans() (DATA_DIR). Defaults to the config's
   * DATA_DIR when the app passes its whole configuration.
   */
  sessionsDir?: string;
  /** How often each session's watchdog checks that this bot process still runs (default 500 ms). */
  watchdogPollMs?: number;
}

/**
 * What of the bot's environment a pwsh child may see: an allow-list, because the bot's environment holds
 * MicrosoftAppPassword, TEAMS_CERT_PASSWORD and whatever an operator adds (a child's environment is readable
 * in /proc by the same user, and by any module the session loads). Secrets reach pwsh on its standard input.
 */
const childEnvNames = /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TMP|TEMP|XDG_[A-Z_]+|DOTNET_[A-Z0-9_]+|PSModulePath|POWERSHELL_[A-Z_]+|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|SSL_CERT_(FILE|DIR)|SystemRoot|SYSTEMROOT|WINDIR|ComSpec|PATHEXT|APPDATA|LOCALAPPDATA|USERPROFILE|ProgramData|ProgramFiles)$/;

export function childEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name, value]) => value !== undefined && childEnvNames.test(name) && !isSecretParameter(name)));
}

export function createPowerShellTenant(options: PowerShellTenantOptions): TenantPort & Required<Pick<TenantPort, 'runMany'>> & { readonly pool: SessionPool } {
  const config = PowerShellTenantConfig.parse(options.config);
  const pwshPath = locatePwsh(config.PWSH_PATH);
  if (!pwshPath) throw new Error(config.PWSH_PATH ? `PWSH_PATH ${config.PWSH_PATH} is not an executable file.` : 'pwsh was not found on PATH or in ~/.dotnet/tools; set PWSH_PATH.');
  const env: NodeJS.ProcessEnv = { ...childEnvironment(process.env), TERM: 'dumb', NO_COLOR: '1', POWERSHELL_TELEMETRY_OPTOUT: '1', POWERSHELL_UPDATECHECK: 'Off' };
  let plan: ConnectPlan;
  let moduleLabel: (version: string) => string;
  let availableCmdlets: readonly string[] | undefined;
  if (options.backend === 'powershell-stub') {
    if (!options.stub) throw new Error("The 'powershell-stub' backend needs stub.dataDir.");
    const profile = options.stub.profile ?? 'cce';
    Object.assign(env, {
      SWITCHBOARD_STUB_DATA_DIR: options.stub.dataDir,
      SWITCHBOARD_STUB_PROFILE: profile,
      SWITCHBOARD_STUB_JOURNAL: options.stub.journal ? '1' : '0',
    });
    plan = {
      importModule: options.stub.modulePath ?? stubModulePath,
      moduleName: 'SwitchboardStub',
      connect: { ApplicationId: config.TEAMS_APP_ID ?? 'switchboard-stub-app', TenantId: config.TEAMS_TENANT_ID ?? 'switchboard-stub-tenant', CertificateThumbprint: config.TEAMS_CERT_THUMBPRINT ?? 'STUB' },
    };
    moduleLabel = (v) => `SwitchboardStub ${v} (stand-in for MicrosoftTeams, profile ${profile})`;
    const modules = ['MicrosoftTeams', 'SkypeForBusiness', 'Microsoft.Graph.Users', ...(profile === 'teams-current' ? [] : ['MSOnline'])];
    availableCmdlets = cmdletsInModules(modules);
  } else {
    const creds = teamsCredentials(config);
    const base = { ApplicationId: creds.applicationId, TenantId: creds.tenantId };
    plan = 'certificateThumbprint' in creds
      ? { importModule: 'MicrosoftTeams', moduleName: 'MicrosoftTeams', connect: { ...base, CertificateThumbprint: creds.certificateThumbprint } }
      : { importModule: 'MicrosoftTeams', moduleName: 'MicrosoftTeams', connect: base, certificate: { path: creds.certificatePath, ...(creds.certificatePassword ? { password: creds.certificatePassword } : {}) } };
    moduleLabel = (v) => `MicrosoftTeams ${v}`;
  }
  const commandTimeoutMs = config.PS_COMMAND_TIMEOUT_S * 1000;
  const rawDataDir = (options.config as Record<string, unknown>).DATA_DIR;
  const sessionsDir = options.sessionsDir ?? (typeof rawDataDir === 'string' && rawDataDir !== '' ? path.resolve(rawDataDir) : undefined);
  const registry = sessionsDir ? new SessionRegistry(sessionsDir) : undefined;
  const pool = new SessionPool({
    size: config.PS_POOL_SIZE,
    maxCommandsPerSession: config.PS_MAX_COMMANDS_PER_SESSION,
    acquireTimeoutMs: options.acquireTimeoutMs ?? commandTimeoutMs,
    healthCheckIdleMs: options.healthCheckIdleMs ?? 30_000,
    start: () => PwshSession.start({
      pwshPath, env, plan, connectTimeoutMs: config.PS_CONNECT_TIMEOUT_S * 1000,
      ...(registry ? { registry } : {}), ...(options.watchdogPollMs ? { watchdogPollMs: options.watchdogPollMs } : {}),
    }),
  });
  const tenant = new PowerShellTenant({
    backend: options.backend,
    pool,
    commandTimeoutMs,
    retry: { ...defaultRetryPolicy, ...options.retry },
    moduleLabel,
    ...(availableCmdlets ? { availableCmdlets } : {}),
  });
  return Object.assign(tenant, { pool });
}
