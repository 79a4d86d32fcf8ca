/** The PowerShell tenant backend: what the rest of Switchboard imports. */
export { createPowerShellTenant, stubModulePath, type PowerShellTenantOptions, type StubOptions } from './create';
export { PowerShellTenantConfig, redactedConfig, teamsCredentials, type TeamsCredentials } from './config';
export { locatePwsh } from './locate-pwsh';
export { mayRetryBlindly, type RetryPolicy } from './retry';
export { reapOrphans, sessionsFileName, type ReapResult } from './orphans';
