/** Secrets never reach a pwsh child's environment or node-powershell's command history; the certificate is checked at start. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ConfigError, loadConfig } from '../../src/config';
import { createPowerShellTenant } from '../../src/tenant/powershell';
import { checkCertificate } from '../../src/tenant/powershell/config';
import { childEnvironment } from '../../src/tenant/powershell/create';
import { procStat } from '../../src/tenant/powershell/orphans';
import { PwshSession } from '../../src/tenant/powershell/session';
import { stubModulePath } from '../../src/tenant/powershell/create';
import { requirePwsh } from '../support/pwsh';
import { contractTenant, tempDir, writeStubState } from './fixtures';
import { writePfx } from './pfx';

const secrets = { MicrosoftAppPassword: 'app-pw-Zq81', TEAMS_CERT_PASSWORD: 'cert-pw-Xk27', SOME_API_TOKEN: 'tok-Ww93' };

describe('secrets and the PowerShell children', function () {
  this.timeout(60_000);

  it('passes a child only allow-listed, non-secret environment variables', () => {
    const env = childEnvironment({ PATH: '/usr/bin', HOME: '/home/sb', LANG: 'C.UTF-8', ...secrets, DATABASE_URL: 'x', HTTPS_PROXY: 'http://proxy:8080' });
    assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/home/sb', LANG: 'C.UTF-8', HTTPS_PROXY: 'http://proxy:8080' });
  });

  describe('with pwsh', () => {
    let pwshPath = '';
    before(function () {
      pwshPath = requirePwsh(this);
    });

    it('starts pwsh (launcher and real process) with none of the bot\'s secrets in its environment', async function () {
      // Reads the children's environment from /proc/<pid>/environ, which only Linux has (CI runs on Linux, so it never skips there).
      if (process.platform !== 'linux') this.skip();
      const saved = Object.fromEntries(Object.keys(secrets).map((k) => [k, process.env[k]]));
      Object.assign(process.env, secrets);
      const dataDir = tempDir('secrets');
      writeStubState(dataDir, contractTenant());
      const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir } });
      try {
        const run = await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' });
        const pid = Number(/^pwsh-(\d+)#/.exec(run.record.session)?.[1]);
        for (const p of new Set([pid, procStat(pid)!.pgid])) {
          const environ = fs.readFileSync(`/proc/${p}/environ`, 'utf8');
          assert.ok(environ.includes('PATH='), 'the environment was read');
          for (const [name, value] of Object.entries(secrets)) {
            assert.equal(environ.includes(name), false, `${name} is not in process ${p}'s environment`);
            assert.equal(environ.includes(value), false);
          }
        }
      } finally {
        await tenant.close();
        for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
    });

    it('connects with a PFX and its password given on standard input, and keeps no command in node-powershell\'s history', async () => {
      const password = 'pfx-pw-Hh55';
      const dataDir = tempDir('secrets-history');
      writeStubState(dataDir, contractTenant());
      const session = await PwshSession.start({
        pwshPath, connectTimeoutMs: 30_000,
        env: { ...childEnvironment(process.env), SWITCHBOARD_STUB_DATA_DIR: dataDir },
        plan: { importModule: stubModulePath, moduleName: 'SwitchboardStub', connect: { ApplicationId: 'app', TenantId: 'tenant' }, certificate: { path: writePfx(password), password } },
      });
      try {
        assert.equal(session.connects, 1, 'Connect-MicrosoftTeams took the certificate the PFX held');
        const history = (session as unknown as { ps: { history: unknown[] } }).ps.history;
        assert.deepEqual(history, [], 'no command, and so no connect script with its password, is retained');
      } finally {
        await session.kill();
      }
    });

    it('reports not ready, naming the module, when MicrosoftTeams is not installed', async () => {
      const tenant = createPowerShellTenant({
        backend: 'powershell', config: { PS_POOL_SIZE: '1', TEAMS_APP_ID: 'a', TEAMS_TENANT_ID: 't', TEAMS_CERT_THUMBPRINT: 'AB12' },
      });
      try {
        const readiness = await tenant.ready!();
        assert.equal(readiness.ready, false);
        assert.match(readiness.reason ?? '', /^the MicrosoftTeams PowerShell module is not installed for this pwsh/);
      } finally {
        await tenant.close();
      }
    });

    it('reports ready on the stand-in', async () => {
      const dataDir = tempDir('ready');
      writeStubState(dataDir, contractTenant());
      const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir } });
      try {
        assert.deepEqual(await tenant.ready!(), { ready: true });
      } finally {
        await tenant.close();
      }
    });
  });

  describe('the certificate check at start-up', () => {
    const base = { TENANT_BACKEND: 'powershell', TEAMS_APP_ID: 'a', TEAMS_TENANT_ID: 't' };
    const configProblems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    };

    it('accepts the right password', () => {
      const file = writePfx('right-pw');
      assert.doesNotThrow(() => checkCertificate(file, 'right-pw'));
      assert.deepEqual(configProblems({ ...base, TEAMS_CERT_PATH: file, TEAMS_CERT_PASSWORD: 'right-pw' }), []);
    });

    it('stops start-up with one line on a wrong password, without showing it', () => {
      const file = writePfx('right-pw');
      const problems = configProblems({ ...base, TEAMS_CERT_PATH: file, TEAMS_CERT_PASSWORD: 'wrong-pw-Qa11' });
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /TEAMS_CERT_PASSWORD does not open TEAMS_CERT_PATH .*\(wrong password, or not a PFX file\)\.$/);
      assert.equal(problems[0]!.includes('wrong-pw-Qa11'), false);
      assert.equal(problems[0]!.includes('\n'), false);
    });

    it('stops start-up with one line when the certificate cannot be read or holds no key', () => {
      assert.deepEqual(configProblems({ ...base, TEAMS_CERT_PATH: '/nonexistent/teams.pfx' }), ['TENANT_BACKEND: TEAMS_CERT_PATH /nonexistent/teams.pfx cannot be read (ENOENT).']);
      const dir = tempDir('pfx-dir');
      assert.deepEqual(configProblems({ ...base, TEAMS_CERT_PATH: dir }), [`TENANT_BACKEND: TEAMS_CERT_PATH ${dir} cannot be read (EISDIR).`]);
      assert.throws(() => checkCertificate(writePfx('pw', { withKey: false }), 'pw'), /holds no private key/);
    });
  });
});
