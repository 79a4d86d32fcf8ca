import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { actions } from '../src/catalog/index';
import { listCardTemplates, renderCard } from '../src/cards/render';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => { parse(json: unknown, ctx: unknown): void; validateProperties(): { validationEvents: { message: string }[] } };
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): { message: string } };
};

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('the action catalog', () => {
  it('lists every action file, and each has its form card and a unique id', () => {
    const files = fs.readdirSync('src/catalog/actions').filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
    assert.deepEqual(files.sort(), actions.map((a) => a.id).sort());
    assert.equal(new Set(actions.map((a) => a.id)).size, actions.length);
    const cards = listCardTemplates();
    for (const a of actions) assert.ok(cards.includes(a.formCard), `${a.id} needs cards/${a.formCard}.json`);
  });

  it('declares every required field, the user field and examples on each action', () => {
    for (const a of actions) {
      assert.ok(a.examples.length > 0, a.id);
      assert.ok(a.summary.length > 0 && a.summary.length <= 120, a.id);
      assert.ok(a.timeoutMs > 0, a.id);
    }
  });
});

describe('card templates', () => {
  const samples: Record<string, Record<string, unknown>> = {
    help: { tenantLabel: 'x', commands: [{ usage: 'help', summary: 's' }] },
    'enable-voice-form': { user: 'bob.kelly@contoso.com', displayName: 'Bob Kelly', number: '' },
    'choose-user': { query: 'Bob', count: 2, users: [{ label: 'Bob', choice: { action: 'enable-voice', user: 'b' }, fallbackChoice: { verb: 'chooseUser', action: 'enable-voice', user: 'b' } }] },
    request: { id: 'R-1', title: 't', target: 'x', statusLine: 's', statusColor: 'Good', requester: 'r', createdAt: 'c', expiresAt: 'e', risk: 'medium', changes: [{ property: 'p', from: 'a', to: 'b' }], commands: [{ line: 'Set-CsUser' }], notes: [{ text: 'n' }], decision: 'd', hasVerification: true, verification: [{ mark: '✅', property: 'p', actual: 'a', expected: 'e' }], error: '', pending: true },
    'assign-site-form': { user: 'bob.kelly@contoso.com', site: 'Seattle', sites: [{ title: 'Seattle', value: 'Seattle' }] },
    'international-calling-form': { user: 'bob.kelly@contoso.com', mode: 'block' },
    'user-status': { target: 'x', moduleVersion: 'm', facts: [{ name: 'n', value: 'v' }], notes: [] },
    pending: { heading: 'h', requests: [{ id: 'R-1', title: 't', target: 'x', status: 'pending', requester: 'r', expiresAt: 'e' }] },
    history: { heading: 'h', chain: 'c', entries: [{ seq: 1, at: 'a', event: 'e', line: 'l' }] },
  };

  for (const name of listCardTemplates()) {
    it(`${name}.json expands to a valid Adaptive Card 1.5 with every field bound`, () => {
      const data = samples[name];
      assert.ok(data, `add sample data for ${name}`);
      const card = renderCard(name, data);
      assert.equal(card.version, '1.5');
      assert.ok(!JSON.stringify(card).includes('${'), 'no unbound template field');
      const ac = new AC.AdaptiveCard();
      const ctx = new AC.SerializationContext();
      ac.parse(card, ctx);
      const problems = [...Array.from({ length: ctx.eventCount }, (_, i) => ctx.getEventAt(i).message), ...ac.validateProperties().validationEvents.map((e) => e.message)];
      assert.deepEqual(problems, []);
    });
  }
});

describe('the Teams edge', () => {
  it('is the only part of the code that imports botbuilder', () => {
    const offenders = listFiles('src')
      .filter((f) => f.endsWith('.ts') && !f.startsWith(path.join('src', 'teams')))
      .filter((f) => /from ['"]botbuilder|from ['"]botframework-/.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(offenders, []);
  });
});
