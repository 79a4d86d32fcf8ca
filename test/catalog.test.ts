import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { commands } from '../src/catalog/index';
import { listCardTemplates, renderCard } from '../src/cards/render';
import { cardSamples } from './support/card-samples';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const AC = require('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => { parse(json: unknown, ctx: unknown): void; validateProperties(): { validationEvents: { message: string }[] } };
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): { message: string } };
};

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('the command catalog', () => {
  it('lists every command file once, each with a unique id and, where declared, its form card', () => {
    const files = fs.readdirSync('src/catalog/commands').filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
    assert.deepEqual(files.sort(), commands.map((c) => c.id).sort());
    assert.equal(new Set(commands.map((c) => c.id)).size, commands.length);
    const cards = listCardTemplates();
    for (const c of commands) if (c.formCard) assert.ok(cards.includes(c.formCard), `${c.id} needs cards/${c.formCard}.json`);
  });

  it('declares examples, a short summary, and a question or a form for every required field', () => {
    for (const c of commands) {
      assert.ok(c.examples.length > 0, c.id);
      assert.ok(c.summary.length > 0 && c.summary.length <= 160, c.id);
      if (c.kind === 'change' || c.kind === 'batch') assert.ok(c.timeoutMs > 0, c.id);
      for (const f of c.required) assert.ok(c.formCard || c.ask?.[f], `${c.id}: how is ${f} asked for?`);
    }
  });
});

describe('card templates', () => {
  const samples = cardSamples;

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
