/** The PowerShell backend's decisions that need no pwsh: configuration, error kinds, retry rules, record redaction. */
import assert from 'node:assert/strict';
import { defaultPoolSize, PowerShellTenantConfig, redactedConfig, teamsCredentials } from '../../src/tenant/powershell/config';
import { classifyError } from '../../src/tenant/powershell/errors';
import { backoffDelayMs, mayRetryBlindly, shouldRetry, defaultRetryPolicy } from '../../src/tenant/powershell/retry';
import { renderForRecord } from '../../src/tenant/powershell/redact';
import { readEnvelope, UnparsableOutput } from '../../src/tenant/powershell/envelope';
import { writePfx } from './pfx';

describe('PowerShell backend decisions', () => {
  it('reads its settings from env strings with defaults, and treats blank values as unset', () => {
    const c = PowerShellTenantConfig.parse({ PS_POOL_SIZE: '4', PS_COMMAND_TIMEOUT_S: '', OTHER: 'x' });
    assert.equal(c.PS_POOL_SIZE, 4);
    assert.equal(c.PS_COMMAND_TIMEOUT_S, 60);
    assert.equal(c.PS_MAX_COMMANDS_PER_SESSION, 5000);
    assert.throws(() => PowerShellTenantConfig.parse({ PS_POOL_SIZE: '0' }));
    // Unset: one session per core, at most four (more sessions than cores only take turns on the CPUs).
    assert.equal(PowerShellTenantConfig.parse({}).PS_POOL_SIZE, defaultPoolSize());
    assert.deepEqual([1, 2, 4, 16].map((cores) => defaultPoolSize(cores)), [1, 2, 4, 4]);
  });

  it('requires app-only credentials for the real backend and never shows the certificate password', () => {
    assert.throws(() => teamsCredentials(PowerShellTenantConfig.parse({})), /TEAMS_APP_ID, TEAMS_TENANT_ID, TEAMS_CERT_THUMBPRINT or TEAMS_CERT_PATH/);
    const pfx = writePfx('hunter2');
    const c = PowerShellTenantConfig.parse({ TEAMS_APP_ID: 'a', TEAMS_TENANT_ID: 't', TEAMS_CERT_PATH: pfx, TEAMS_CERT_PASSWORD: 'hunter2' });
    assert.deepEqual(teamsCredentials(c), { applicationId: 'a', tenantId: 't', certificatePath: pfx, certificatePassword: 'hunter2' });
    assert.equal(JSON.stringify(redactedConfig(c)).includes('hunter2'), false);
    assert.equal(renderForRecord('Connect-MicrosoftTeams', { TenantId: 't', CertificateThumbprint: 'ABC' }), "Connect-MicrosoftTeams -TenantId 't' -CertificateThumbprint '[redacted]'");
  });

  it('maps cmdlet errors to tenant error kinds', () => {
    assert.equal(classifyError({ message: 'Management object not found for identity "x".', category: 'ObjectNotFound', errorId: 'X,Set-CsUser' }), 'not-found');
    assert.equal(classifyError({ message: 'Cannot convert', errorId: 'ParameterArgumentTransformationError,Set-CsUser', category: 'InvalidData' }), 'invalid-parameter');
    assert.equal(classifyError({ message: 'A parameter cannot be found', errorId: 'NamedParameterNotFound,Set-CsUser', category: 'InvalidArgument' }), 'invalid-parameter');
    assert.equal(classifyError({ message: 'Code: TooManyRequests / Message: Too Many Requests', category: 'LimitsExceeded' }), 'transient');
    assert.equal(classifyError({ message: 'The connection was lost', category: 'ConnectionError' }), 'transient');
    assert.equal(classifyError({ message: "The term 'Set-CsUser' is not recognized", errorId: 'CommandNotFoundException', category: 'ObjectNotFound' }), 'cmdlet-error');
    assert.equal(classifyError({ message: 'User is not licensed', category: 'InvalidOperation' }), 'cmdlet-error');
  });

  it('retries only transient failures of idempotent effects, with growing jittered delays', () => {
    assert.equal(mayRetryBlindly('read'), true);
    assert.equal(mayRetryBlindly('set'), true);
    assert.equal(mayRetryBlindly('create' as never), false, 'an effect nobody classified is never retried');
    assert.equal(shouldRetry('transient', 'set', 1, defaultRetryPolicy), true);
    assert.equal(shouldRetry('transient', 'set', defaultRetryPolicy.attempts, defaultRetryPolicy), false);
    assert.equal(shouldRetry('timeout', 'read', 1, defaultRetryPolicy), false);
    const p = { attempts: 5, baseDelayMs: 100, maxDelayMs: 350 };
    assert.deepEqual([1, 2, 3, 4].map((a) => backoffDelayMs(a, p, () => 0)), [50, 100, 175, 175]);
    assert.deepEqual([1, 2, 3].map((a) => backoffDelayMs(a, p, () => 1)), [100, 200, 350]);
  });

  it('treats output without both markers, or with invalid JSON, as unreadable rather than guessing', () => {
    const m = 'SBX000000000000000000000000X';
    assert.deepEqual(readEnvelope(`noise ${m}{"ok":true,"output":[]}${m}\n`, m), { ok: true, output: [] });
    assert.throws(() => readEnvelope(`${m}{"ok":true,"output":[]}`, m), UnparsableOutput);
    assert.throws(() => readEnvelope(`${m}{"ok":tru${m}`, m), UnparsableOutput);
    assert.throws(() => readEnvelope(`${m}{"ok":true}${m}`, m), UnparsableOutput);
  });
});
