/**
 * Cards are JSON templates in cards/, expanded with adaptivecards-templating. Data values are never
 * evaluated as expressions, so user text cannot inject into a card. An unbound field is a defect and throws.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ACData from 'adaptivecards-templating';
import type { CardJson } from '../model/people';

export const cardsDir = path.resolve(__dirname, '..', '..', 'cards');

ACData.GlobalSettings.getUndefinedFieldValueSubstitutionString = (p: string) => {
  throw new Error(`Card template field not bound: ${p}`);
};

const templates = new Map<string, ACData.Template>();

function template(name: string): ACData.Template {
  let t = templates.get(name);
  if (!t) {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`Bad card name: ${name}`);
    t = new ACData.Template(JSON.parse(fs.readFileSync(path.join(cardsDir, `${name}.json`), 'utf8')));
    templates.set(name, t);
  }
  return t;
}

export function renderCard(name: string, data: Record<string, unknown>): CardJson {
  return template(name).expand({ $root: data }) as CardJson;
}

export function listCardTemplates(): string[] {
  return fs.readdirSync(cardsDir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
}

/**
 * Text a person chose (a display name, a reason) shown on a card as what it is: one line, with the
 * markdown that Adaptive Cards would render (emphasis, lists, links, headings) escaped, so a name cannot
 * add a fake "Approved by" line or a link.
 */
export function plainText(text: string): string {
  return text
    .replace(/[\r\n\u0085\u2028\u2029]+/g, ' ')
    .replace(/[\\`*_[\]~]/g, (c) => `\\${c}`)
    // A line that starts like a list item or heading would render as one.
    .replace(/^\s*([-+>#]|\d+\.)/, (m) => `\\${m.trim()}`)
    .trim();
}

/**
 * Called once at start, before the bot listens: the templating library builds its expression parser on
 * first use (about 90 ms, measured), and every template is read and parsed here, so no person's first
 * card, nor /healthz during it, pays for that.
 */
export function warmUpCards(): void {
  for (const name of listCardTemplates()) template(name);
  new ACData.Template({ type: 'TextBlock', text: '${w}' }).expand({ $root: { w: 'warm' } });
}
