import { strict as assert } from 'node:assert';
import { alice, ChatHarness } from './support/chat';

/** Values crafted to break out of a PowerShell string, as an operator could type them. */
const hostileUsers = [
  "Bob Kelly'; Set-CsUser -Identity 'bob.smith@contoso.com' -EnterpriseVoiceEnabled $true; '",
  'Bob Kelly"; Set-CsUser bob.smith@contoso.com -HostedVoiceMail $true; "',
  '$(Set-CsUser -Identity bob.smith@contoso.com -EnterpriseVoiceEnabled $true)',
  '@(Get-CsOnlineUser)',
  'Bob `$(whoami)` Kelly',
  'Bob Kelly; Remove-Item -Recurse C:\\',
  'Bob Kelly | Set-CsUser -EnterpriseVoiceEnabled $true',
  'Bob Kelly & calc.exe',
  'Bob Kelly\u2019; Set-CsUser bob.smith@contoso.com -EnterpriseVoiceEnabled $true; \u2018',
  'Bob Kelly\u201B -or DisplayName -like \u2019*',
  "Bob Kelly' -or DisplayName -like '*",
  '<#',
];

const hostileNumbers = ["+1425555'0100", '+14255550100$(whoami)', '+14255550100`n', '+1425555;0100', '+14255550100\u2019', 'tel:+14255550100;ext=1|x'];

describe('values crafted to break out of PowerShell strings', () => {
  let chat: ChatHarness;
  beforeEach(async () => {
    chat = await ChatHarness.create();
  });
  afterEach(async () => chat.close());

  for (const user of hostileUsers) {
    it(`treats the user ${JSON.stringify(user)} as plain data and changes nobody`, async () => {
      const before = chat.sim.snapshot();
      const replies = await chat.say(alice, `enable voice for ${user} number +14255550100`);
      assert.equal(replies.length, 1);
      assert.match(replies[0]!.text ?? '', /^No user matches |^A user name/);
      assert.deepEqual(chat.sim.snapshot(), before);
      assert.equal((await chat.core.store.listRequests({})).length, 0);
    });
  }

  for (const number of hostileNumbers) {
    it(`refuses the number ${JSON.stringify(number)} with a clear reason and changes nobody`, async () => {
      const before = chat.sim.snapshot();
      const response = await chat.click(alice, 'submitRequest', { action: 'enable-voice', user: 'bob.kelly@contoso.com', number });
      assert.match(String(response.value), /is not a phone number|not in E\.164 form|not a valid phone number/);
      assert.deepEqual(chat.sim.snapshot(), before);
      assert.equal((await chat.core.store.listRequests({})).length, 0);
    });
  }

  it('refuses a user name with a line break or NUL typed into the form', async () => {
    for (const user of ['Bob\nKelly', 'Bob Kelly\r\nSet-CsUser x', 'Bob\u0000Kelly', 'Bob\u2028Kelly']) {
      const response = await chat.click(alice, 'submitRequest', { action: 'enable-voice', user, number: '+14255550100' });
      assert.equal(String(response.value), 'A user name cannot contain line breaks or control characters.');
    }
    assert.equal((await chat.core.store.listRequests({})).length, 0);
  });
});
