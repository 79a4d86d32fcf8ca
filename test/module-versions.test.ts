import { strict as assert } from 'node:assert';
import { demoTenant } from '../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../src/tenant/sim/simulated-tenant';
import { createPowerShellTenant } from '../src/tenant/powershell/index';
import { admin, alice, cardOf, cardText, ChatHarness } from './support/chat';
import { requirePwsh } from './support/pwsh';
import { tempDir } from './support/temp-dirs';

describe('a current MicrosoftTeams module that no longer reports HostedVoiceMail and VoicePolicy', function () {
  this.timeout(120_000);
  let chat: ChatHarness;

  before(async function () {
    requirePwsh(this);
    const stubDir = tempDir('modern');
    await new SimulatedTenant({ initial: demoTenant(), dataDir: stubDir }).close();
    const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir: stubDir, profile: 'teams-current' } });
    chat = await ChatHarness.create({ tenant });
  });
  after(async () => chat?.close());

  it('says so in the verification instead of passing or failing silently', async () => {
    const [reply] = await chat.say(alice, 'enable voice for Bob Kelly number +14255550100');
    assert.match(cardText(cardOf(reply)), /HostedVoiceMail\nnot reported → True/);
    const id = /R-[0-9A-Z]{8}/.exec(reply!.text!)![0];
    await chat.click(admin, 'approve', { requestId: id });
    await chat.settle();
    const notice = chat.outbox.sent.find((s) => s.message.text?.startsWith(id))!;
    assert.equal(notice.message.text, `${id} done and verified for Bob Kelly (bob.kelly@contoso.com): EnterpriseVoiceEnabled True, HostedVoiceMail (not reported by this module version), VoicePolicy (not reported by this module version), LineURI tel:+14255550100.`);
    assert.match(cardText(notice.message.card), /Done and verified: 2 of 4 checks pass, 2 not reported by this module version/);
    const [status] = await chat.say(alice, 'status Bob Kelly');
    assert.equal(status!.text, 'Bob Kelly: EnterpriseVoiceEnabled True, HostedVoiceMail not reported by this module version, VoicePolicy not reported by this module version (to fix: HybridPSTNSite)');
  });
});
