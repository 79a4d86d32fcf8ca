import { strict as assert } from 'node:assert';
import { commands } from '../src/catalog/index';
import { parseCommand } from '../src/grammar/grammar';

const args = (text: string) => {
  const parsed = parseCommand(text, commands);
  return parsed.kind === 'command' ? { id: parsed.command.id, ...parsed.args } : parsed;
};

describe('the command grammar', () => {
  for (const command of commands) {
    for (const example of command.examples) {
      it(`parses the ${command.id} example "${example}" to exactly that command`, () => {
        const parsed = parseCommand(example, commands);
        assert.equal(parsed.kind, 'command', JSON.stringify(parsed));
        assert.equal(parsed.kind === 'command' && parsed.command.id, command.id);
      });
    }
  }

  it('extracts the user and number of enable voice, case-insensitively', () => {
    assert.deepEqual(args('ENABLE VOICE FOR Bob Kelly NUMBER +14255550100'), { id: 'enable-voice', user: 'Bob Kelly', number: '+14255550100' });
  });

  it('forgives spaced numbers, extensions and trailing punctuation', () => {
    assert.deepEqual(args('enable voice for Bob Smith number +1 425 555 0103.'), { id: 'enable-voice', user: 'Bob Smith', number: '+1 425 555 0103' });
    assert.deepEqual(args('enable voice for Bob Smith number tel:+14255550103;ext=12,'), { id: 'enable-voice', user: 'Bob Smith', number: 'tel:+14255550103;ext=12' });
  });

  it('leaves out what was not given, so the command can ask for it', () => {
    assert.deepEqual(args('enable voice for bob.smith@contoso.com'), { id: 'enable-voice', user: 'bob.smith@contoso.com' });
    assert.deepEqual(args('enable voice'), { id: 'enable-voice' });
    assert.deepEqual(args('status'), { id: 'status' });
  });

  it('strips a channel @mention and stray whitespace', () => {
    assert.deepEqual(args('<at>Switchboard</at>   status   Bob   Kelly '), { id: 'status', user: 'Bob Kelly' });
  });

  it('reads history with and without a user', () => {
    assert.deepEqual(args('history'), { id: 'history' });
    assert.deepEqual(args('History bob.kelly@contoso.com'), { id: 'history', user: 'bob.kelly@contoso.com' });
  });

  it('reads approve and reject typed as text', () => {
    assert.deepEqual(args('approve R-7K2M9QXA'), { id: 'approve', requestId: 'R-7K2M9QXA' });
    assert.deepEqual(args('reject R-7K2M9QXA wrong number'), { id: 'reject', requestId: 'R-7K2M9QXA', reason: 'wrong number' });
  });

  it('suggests the closest command for a typo', () => {
    const parsed = parseCommand('enabel voice for Bob', commands);
    assert.equal(parsed.kind === 'unknown' && parsed.suggestion?.id, 'enable-voice');
    assert.deepEqual(parseCommand('make me a sandwich', commands), { kind: 'unknown' });
  });

  it('reports a command that two entries match as ambiguous instead of picking one', () => {
    const clash = { ...commands.find((c) => c.id === 'enable-voice')!, id: 'clash', patterns: [/^status\s+(?<user>.+)$/i] };
    assert.deepEqual(parseCommand('status Bob', [...commands, clash]), { kind: 'ambiguous', candidates: ['status', 'clash'] });
  });
});
