import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { LocalConnector, post, teamsActivity } from '../src/cli/local-channel';
import { tempDir } from './support/temp-dirs';

const alice = { aadObjectId: '11111111-1111-4111-8111-111111111111', name: 'Alice Operator', mri: '29:alice' };
const admin = { aadObjectId: '22222222-2222-4222-8222-222222222222', name: 'Ada Admin', mri: '29:ada' };

/**
 * Starts src/main.ts as its own process and resolves with its URL once it listens. One node process
 * with tsx as a loader, not the tsx CLI: that CLI runs the bot in a grandchild, which outlived a kill
 * of the CLI and kept listening after the suite.
 */
/** Every bot this suite started, so `after` stops each one even when a test fails mid-start. */
const started: ChildProcess[] = [];

function startBot(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, APPROVER_IDS: admin.aadObjectId, LOG_LEVEL: 'warn', MicrosoftAppId: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`bot did not start: ${seen}`)), 40_000);
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /Listening on (http:\/\/127\.0\.0\.1:\d+)\/api\/messages/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`bot exited with ${code}: ${seen}`)));
  });
}

describe('a restart loses nothing', function () {
  // Two cold starts of a separate node process, each compiling the TypeScript: slow on a busy 2-core machine.
  this.timeout(90_000);
  let connector: LocalConnector;
  before(async () => {
    connector = new LocalConnector();
    await connector.start();
  });
  after(async () => {
    for (const child of started.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    }
    await connector.stop();
  });

  it('approves, after the process was killed and started again, a request made before', async () => {
    const dataDir = tempDir('restart');
    const first = await startBot(dataDir);
    const message = teamsActivity(connector.url, alice, 'a:conv-alice', { type: 'message', text: 'enable voice for Bob Kelly number +14255550100' });
    await post(first.url, message);
    const reply = await connector.waitFor((c) => c.activityId === message.id, 30_000);
    const requestId = /R-[0-9A-Z]{8}/.exec(reply.body.text ?? '')![0];

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startBot(dataDir);
    const click = teamsActivity(connector.url, admin, 'a:conv-alice', {
      type: 'invoke', name: 'adaptiveCard/action', replyToId: reply.id,
      value: { action: { type: 'Action.Execute', verb: 'approve', data: { requestId } }, trigger: 'manual' },
    });
    const invoke = await post(second.url, click);
    assert.ok(JSON.stringify(invoke.body).includes('Approved by Ada Admin'));
    const verified = await connector.waitFor((c) => (c.body.text ?? '').startsWith(`${requestId} done and verified`), 30_000);
    assert.match(verified.body.text!, /EnterpriseVoiceEnabled True, HostedVoiceMail True, VoicePolicy HybridVoice/);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });
});
