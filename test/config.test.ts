import { strict as assert } from 'node:assert';
import { ConfigError, loadConfig } from '../src/config';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('runs locally on the simulated tenant with nothing set', () => {
    const c = loadConfig({});
    assert.equal(c.localMode, true);
    assert.equal(c.HOST, '127.0.0.1');
    assert.equal(c.PORT, 3978);
    assert.equal(c.TENANT_BACKEND, 'sim');
    assert.equal(c.APPROVAL_TTL_HOURS, 24);
    assert.equal(c.ALLOW_SELF_APPROVAL, false);
    assert.equal(c.DATA_DIR, './data');
  });

  it('reads comma-separated approver and tenant ids', () => {
    const c = loadConfig({ APPROVER_IDS: ' 22222222-2222-4222-8222-222222222222, 33333333-3333-4333-8333-333333333333 ', ALLOWED_TENANT_IDS: '72f988bf-0000-4000-a000-000000c0ffee' });
    assert.deepEqual(c.APPROVER_IDS, ['22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333']);
    assert.deepEqual(c.ALLOWED_TENANT_IDS, ['72f988bf-0000-4000-a000-000000c0ffee']);
  });

  it('names every wrong value on its own line', () => {
    const found = problems({ PORT: 'eighty', APPROVAL_TTL_HOURS: '-1', TENANT_BACKEND: 'exchange', ALLOW_SELF_APPROVAL: 'yes', APPROVER_IDS: 'bob@contoso.com' });
    assert.equal(found.length, 5, found.join('\n'));
    assert.ok(found.some((p) => p.startsWith('PORT:')));
    assert.ok(found.some((p) => p.startsWith('APPROVAL_TTL_HOURS:')));
    assert.ok(found.some((p) => p.startsWith('TENANT_BACKEND:')));
    assert.ok(found.some((p) => p.startsWith('ALLOW_SELF_APPROVAL:')));
    assert.ok(found.some((p) => p.includes('Entra object ids')));
  });

  it('refuses to run with authentication off on a non-loopback address', () => {
    assert.deepEqual(problems({ HOST: '0.0.0.0' }), ['HOST: authentication is off (MicrosoftAppId is empty), so HOST must be a loopback address, not 0.0.0.0']);
    assert.deepEqual(problems({ HOST: '127.0.0.2' }), []);
  });

  it('assigns numbers through Graph only against a real tenant, with the app\'s tenant, id and secret', () => {
    assert.deepEqual(problems({ GRAPH_NUMBERS: 'on' }), [
      'GRAPH_NUMBERS: assigns numbers in a real tenant, so it needs TENANT_BACKEND=powershell, not sim',
      'GRAPH_TENANT_ID: is required when GRAPH_NUMBERS is on',
      'GRAPH_CLIENT_ID: is required when GRAPH_NUMBERS is on',
      'GRAPH_CLIENT_SECRET: is required when GRAPH_NUMBERS is on',
    ]);
    assert.deepEqual(problems({ GRAPH_NUMBERS: 'yes' }).map((p) => p.split(':')[0]), ['GRAPH_NUMBERS']);
    // The secret and the token never travel in cleartext, except to a stand-in on this machine.
    assert.deepEqual(problems({ GRAPH_URL: 'http://graph.contoso.com/v1.0' }), ['GRAPH_URL: must be https (plain http only to a loopback address)']);
    assert.deepEqual(problems({ GRAPH_LOGIN_URL: 'http://127.0.0.1:8080', GRAPH_URL: 'http://[::1]:8081/v1.0' }), []);
    const c = loadConfig({});
    assert.deepEqual([c.GRAPH_NUMBERS, c.GRAPH_URL, c.GRAPH_LOGIN_URL], ['off', 'https://graph.microsoft.com/v1.0', 'https://login.microsoftonline.com']);
  });

  it('requires the password and tenant of a single-tenant registration', () => {
    const found = problems({ MicrosoftAppId: '55555555-5555-4555-8555-555555555555' });
    assert.ok(found.some((p) => p.startsWith('MicrosoftAppTenantId:')));
    assert.ok(found.some((p) => p.startsWith('MicrosoftAppPassword:')));
  });

  it('binds every interface by default once authentication is on', () => {
    const c = loadConfig({ MicrosoftAppId: '55555555-5555-4555-8555-555555555555', MicrosoftAppPassword: 'x', MicrosoftAppTenantId: '72f988bf-0000-4000-a000-000000c0ffee' });
    assert.equal(c.localMode, false);
    assert.equal(c.HOST, '0.0.0.0');
  });
});
