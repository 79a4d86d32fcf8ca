import { strict as assert } from 'node:assert';
import { actions } from '../src/catalog/index';
import { builtins, parseCommand } from '../src/grammar/grammar';

describe('the command grammar', () => {
  for (const action of actions) {
    for (const example of action.examples) {
      it(`parses the ${action.id} example "${example}" to exactly that action`, () => {
        const parsed = parseCommand(example, actions);
        assert.equal(parsed.kind, 'action');
        assert.equal(parsed.kind === 'action' && parsed.action.id, action.id);
      });
    }
  }
  for (const b of builtins) {
    for (const example of b.examples) {
      it(`parses the built-in example "${example}" to ${b.name}`, () => {
        const parsed = parseCommand(example, actions);
        assert.equal(parsed.kind === 'builtin' && parsed.name, b.name);
      });
    }
  }

  it('extracts the user and number of enable voice, case-insensitively', () => {
    const parsed = parseCommand('ENABLE VOICE FOR Bob Kelly NUMBER +14255550100', actions);
    assert.deepEqual(parsed.kind === 'action' && parsed.args, { user: 'Bob Kelly', number: '+14255550100' });
  });

  it('leaves the number out when none is given', () => {
    const parsed = parseCommand('enable voice for bob.smith@contoso.com', actions);
    assert.deepEqual(parsed.kind === 'action' && parsed.args, { user: 'bob.smith@contoso.com' });
  });

  it('strips a channel @mention and stray whitespace', () => {
    const parsed = parseCommand('<at>Switchboard</at>   status   Bob   Kelly ', actions);
    assert.deepEqual(parsed, { kind: 'builtin', name: 'status', args: { user: 'Bob Kelly' } });
  });

  it('reads history with and without a user', () => {
    assert.deepEqual(parseCommand('history', actions), { kind: 'builtin', name: 'history', args: {} });
    assert.deepEqual(parseCommand('History bob.kelly@contoso.com', actions), { kind: 'builtin', name: 'history', args: { user: 'bob.kelly@contoso.com' } });
  });

  it('suggests the closest command for a typo', () => {
    assert.deepEqual(parseCommand('enabel voice for Bob', actions), { kind: 'unknown', suggestion: 'enable voice for <user> [number <E.164>]' });
    assert.deepEqual(parseCommand('make me a sandwich', actions), { kind: 'unknown' });
  });

  it('reports a command that two entries match as ambiguous instead of picking one', () => {
    const clash = { ...actions[0]!, id: 'clash', patterns: [/^status\s+(?<user>.+)$/i] };
    const parsed = parseCommand('status Bob', [...actions, clash]);
    assert.deepEqual(parsed, { kind: 'ambiguous', candidates: ['status', 'clash'] });
  });
});
