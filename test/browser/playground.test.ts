/**
 * The playground in a real browser (Debian's Chromium through playwright-core): what a person sees when
 * they walk the approval flow as two people. UPDATE_SCREENSHOTS=1 writes the screenshots into
 * docs/screenshots/ (the README shows them); otherwise they go to a temporary folder.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { listCardTemplates, renderCard } from '../../src/cards/render';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { startSwitchboard as startServer } from '../../src/main';
import type { RunningServer } from '../../src/teams/server';
import { tempDir } from '../support/temp-dirs';
import { cardSamples } from '../support/card-samples';

function findChromium(): string | undefined {
  return [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && fs.existsSync(p));
}

/** Call from a suite's `before`: the browser path, or a skip with a reason (a failure under CI=true). */
function requireChromium(ctx: Mocha.Context): string {
  const found = findChromium();
  if (found) return found;
  const reason = 'Chromium not found (CHROMIUM_PATH, /usr/bin/chromium); install it with `apt-get install -y chromium`';
  if (process.env.CI === 'true') throw new Error(`${reason}. Under CI=true the browser tests must run, so this is a failure.`);
  console.warn(`      skipped: ${reason}`);
  ctx.skip();
}

const shotsDir = process.env.UPDATE_SCREENSHOTS === '1' ? path.resolve('docs/screenshots') : tempDir('screenshots');

async function shot(target: Locator | Page, name: string): Promise<void> {
  const file = path.join(shotsDir, name);
  await target.screenshot({ path: file, animations: 'disabled' });
  const png = fs.readFileSync(file);
  assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG');
  assert.ok(png.readUInt32BE(16) > 100 && png.readUInt32BE(20) > 50, `${name} has a real size`);
}

describe('the playground in a browser', function () {
  this.timeout(120_000);
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    const executablePath = requireChromium(this);
    fs.mkdirSync(shotsDir, { recursive: true });
    // The defaults a person gets from `npm start`: local mode, simulated tenant, no APPROVER_IDS.
    server = await startServer(loadConfig({ PORT: '0', DATA_DIR: tempDir('playground-browser'), LOG_LEVEL: 'silent' }), silentLogger);
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(15_000);
    await page.goto(`${server.url}/`);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(() => assert.deepEqual(pageErrors, [], 'no script errors on the page'));

  async function as(who: string, chat: 'personal' | 'channel' = 'personal'): Promise<void> {
    await page.click(`[data-identity="${who}"]`);
    await page.click(`.conversation[data-conversation="${chat}"]`);
    await page.locator(`[data-identity="${who}"][aria-checked="true"]`).waitFor();
  }

  async function say(text: string): Promise<void> {
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
  }

  /** The newest bot message in the open chat that contains the text. */
  function botMessage(text: string | RegExp): Locator {
    return page.locator('#messages li.message.bot', { hasText: text }).last();
  }

  it('walks "enable voice for Bob Kelly": the plan on the card, the requester refused, the approver approves, the card turns verified in place', async () => {
    // Ada says hello first, as an approver who has the app installed: approval cards then reach her 1:1 chat.
    await as('ada');
    await say('help');
    await botMessage('Commands').waitFor();
    await shot(botMessage('Commands'), 'help-card.png');

    await as('alice');
    await say('enable voice for Bob Kelly number +14255550100');
    const request = botMessage('Enable voice: Bob Kelly');
    await request.locator('.card').waitFor();
    const requestText = await request.innerText();
    const requestId = /R-[0-9A-Z]{8}/.exec(requestText)?.[0];
    assert.ok(requestId, `a request id on the card: ${requestText}`);
    for (const seen of ['Waiting for approval', 'EnterpriseVoiceEnabled', 'False → True', 'tel:+14255550100', "Set-CsUser -Identity 'bob.kelly@contoso.com'", 'Medium risk']) {
      assert.ok(requestText.includes(seen), `the card shows ${seen}: ${requestText}`);
    }
    const aliceCardId = await request.getAttribute('data-id');
    await shot(request, 'request-card.png');

    // Alice is the requester, not an approver: her click is answered with a refusal under the card, which stays as it was.
    await request.getByRole('button', { name: 'Approve' }).click();
    const refusal = page.locator(`#messages li[data-id="${aliceCardId}"] .notice`);
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /approver|cannot approve/i);
    assert.ok((await request.innerText()).includes('Waiting for approval'));
    await shot(page.locator(`#messages li[data-id="${aliceCardId}"]`), 'request-refused-for-requester.png');

    // Ada's own chat has the approval card; her click approves it.
    await as('ada');
    const approval = page.locator('#messages li.message.bot', { hasText: requestId! }).filter({ has: page.locator('.card') }).last();
    await approval.waitFor();
    const adaCardId = await approval.getAttribute('data-id');
    await approval.getByRole('button', { name: 'Approve' }).click();
    const adaCard = page.locator(`#messages li[data-id="${adaCardId}"]`);
    await adaCard.filter({ hasText: 'Done and verified' }).waitFor();
    const verifiedText = await adaCard.innerText();
    assert.match(verifiedText, /Approved by Ada Admin/);
    assert.match(verifiedText, /Read back from the tenant/);
    assert.equal(await adaCard.getByRole('button', { name: 'Approve' }).count(), 0, 'no Approve button once decided');
    await shot(adaCard, 'request-verified.png');

    // Back as Alice: the same card, updated in place, and the bot told her in her chat.
    await as('alice');
    const aliceCard = page.locator(`#messages li[data-id="${aliceCardId}"]`);
    await aliceCard.filter({ hasText: 'Done and verified' }).waitFor();
    const told = botMessage(`${requestId} done and verified`);
    await told.waitFor();
    assert.match(await told.innerText(), /EnterpriseVoiceEnabled True, HostedVoiceMail True/);

    await page.click('#theme');
    await page.locator('html[data-theme="dark"]').waitFor();
    await shot(aliceCard, 'request-verified-dark.png');
    await page.click('#theme');
    await shot(page, 'playground.png');
  });

  it('shows the channel to everyone, and the status card as the viewer', async () => {
    await as('victor', 'channel');
    await say('status Bob Kelly');
    const status = botMessage('bob.kelly@contoso.com');
    await status.locator('.card').waitFor();
    assert.match(await status.innerText(), /EnterpriseVoiceEnabled/);
    await shot(status, 'status-card.png');
    await as('alice', 'channel');
    await page.locator('#messages li.message.other', { hasText: 'status Bob Kelly' }).waitFor();
  });

  it('renders every card template with the Teams-like host config, light and dark', async () => {
    const names = listCardTemplates();
    for (const name of names) assert.ok(cardSamples[name], `add sample data for cards/${name}.json to test/support/card-samples.ts`);
    for (const theme of ['light', 'dark'] as const) {
      const results = await page.evaluate(
        ({ cards, theme }) => {
          // Runs in the page; the test compiles without the DOM library, hence the narrow types.
          type Rendered = { getBoundingClientRect(): { height: number }; innerText: string; remove(): void };
          const w = globalThis as unknown as {
            AdaptiveCards: { AdaptiveCard: new () => { hostConfig: unknown; parse(j: unknown): void; render(): Rendered | undefined }; HostConfig: new (j: unknown) => unknown };
            teamsHostConfig: Record<string, unknown>;
            document: { body: { append(e: Rendered): void } };
          };
          return cards.map(({ name, json }) => {
            const card = new w.AdaptiveCards.AdaptiveCard();
            card.hostConfig = new w.AdaptiveCards.HostConfig(w.teamsHostConfig[theme]);
            card.parse(json);
            const el = card.render();
            if (!el) return { name, ok: false, text: '' };
            w.document.body.append(el);
            const r = { name, ok: el.getBoundingClientRect().height > 20, text: el.innerText };
            el.remove();
            return r;
          });
        },
        { cards: names.map((name) => ({ name, json: renderCard(name, cardSamples[name]!) })), theme },
      );
      for (const r of results) assert.ok(r.ok && r.text.trim().length > 0, `cards/${r.name}.json renders (${theme})`);
    }
  });
});
