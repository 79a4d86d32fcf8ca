import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { z } from 'zod';
import { createLogger } from '../src/log';
import { admin, alice, ChatHarness, requestIdIn, tenantId } from './support/chat';

const Line = z.object({ msg: z.string(), requestId: z.string().optional(), activityId: z.string().optional(), user: z.string().optional() }).passthrough();
type Line = z.infer<typeof Line>;

/** A logger writing JSON lines into memory, as pino writes them to stdout. */
function capture(): { lines: Line[]; log: ReturnType<typeof createLogger> } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(Line.parse(JSON.parse(text)));
      done();
    },
  });
  return { lines, log: createLogger('info', sink) };
}

describe('logs a person can follow', () => {
  it('names the request on every line of its life, from filing to verified, and the turn and user on the lines of a turn', async () => {
    const { lines, log } = capture();
    const chat = await ChatHarness.create({ log });
    try {
      const [reply] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
      const id = requestIdIn(reply?.text);
      await chat.click(admin, 'approve', { requestId: id });
      await chat.settle();

      const messages = lines.map((l) => l.msg);
      for (const expected of ['request filed', 'request approved', 'running an approved request', 'cmdlet ok', 'request verified']) {
        assert.ok(messages.includes(expected), `no "${expected}" line in ${JSON.stringify(messages)}`);
      }
      assert.ok(messages.some((m) => /^step 1: /.test(m)), 'a line per step');
      const first = messages.indexOf('request filed');
      const last = messages.indexOf('request verified');
      const during = lines.slice(first, last + 1);
      for (const line of during) assert.equal(line.requestId, id, `a line without the request id: ${JSON.stringify(line)}`);

      const filed = lines[first]!;
      assert.equal(filed.user, alice.aadObjectId, 'the filing names who asked');
      assert.ok(filed.activityId, 'and the activity it came in');
      const approved = lines.find((l) => l.msg === 'request approved')!;
      assert.equal(approved.user, admin.aadObjectId);
      const cmdlet = lines.find((l) => l.msg === 'cmdlet ok')!;
      assert.match(String(cmdlet.command), /^Set-CsUser /, 'the cmdlet line shows the command as bound');
    } finally {
      await chat.close();
    }
  });

  it('names a request that recovery starts, outside any turn, on every line of its run', async () => {
    const { lines, log } = capture();
    const chat = await ChatHarness.create({ log });
    try {
      const [reply] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
      const id = requestIdIn(reply?.text);
      // Approved by a process that died before it scheduled the run: recovery finds it.
      await chat.core.requests.decide({ id: admin.aadObjectId, name: admin.name, tenantId }, id, 'approve', undefined);
      lines.length = 0;
      await chat.core.executor.recover();
      await chat.core.executor.idle();
      assert.ok(lines.some((l) => l.msg === 'request verified'), JSON.stringify(lines.map((l) => l.msg)));
      for (const line of lines) {
        assert.equal(line.requestId, id, JSON.stringify(line));
        assert.equal(line.activityId, undefined, 'no turn behind a recovered run');
      }
    } finally {
      await chat.close();
    }
  });
});
