/**
 * A bot-like process for the orphan tests: opens a PowerShell pool on the stand-in, starts a command that the
 * stand-in's hooks make hang, prints the session's pids, then waits to be killed.
 * argv: <stub data dir> <sessions dir>
 */
import { createPowerShellTenant } from '../../../src/tenant/powershell';

const [stubDir, sessionsDir] = process.argv.slice(2);
const tenant = createPowerShellTenant({
  backend: 'powershell-stub', config: { PS_POOL_SIZE: '1', PS_COMMAND_TIMEOUT_S: '600' }, stub: { dataDir: stubDir! }, sessionsDir: sessionsDir!, watchdogPollMs: 200,
});
void (async () => {
  const first = await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' });
  process.stdout.write(`${JSON.stringify({ session: first.record.session })}\n`);
  await tenant.run('Set-CsUser', { Identity: 'Bob Smith', HostedVoiceMail: true });
})();
