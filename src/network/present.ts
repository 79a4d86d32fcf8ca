/** Check items as a chat answer: one line of text and the network-check card. */
import { renderCard } from '../cards/render';
import type { OutgoingMessage } from '../model/people';
import type { CheckItem } from '../model/check';

const marks = { pass: '✅', warn: '⚠️', fail: '❌' } as const;

export function presentItems(args: { title: string; subtitle: string; items: CheckItem[]; notes?: string[] }): OutgoingMessage {
  const count = (s: CheckItem['status']) => args.items.filter((i) => i.status === s).length;
  const [fail, warn, pass] = [count('fail'), count('warn'), count('pass')];
  const summary = fail ? `${fail} to fix, ${warn} to look at, ${pass} passed` : warn ? `${warn} to look at, ${pass} passed` : `all ${pass} passed`;
  const first = args.items.find((i) => i.status === 'fail') ?? args.items.find((i) => i.status === 'warn');
  return {
    text: `${args.title}: ${summary}.${first ? ` ${first.check}: ${first.evidence}${first.fix ? ` Fix: ${first.fix}` : ''}` : ''}`,
    card: renderCard('network-check', {
      title: args.title,
      subtitle: args.subtitle,
      summary,
      summaryColor: fail ? 'Attention' : warn ? 'Warning' : 'Good',
      items: args.items.map((i) => ({ mark: marks[i.status], check: i.check, evidence: i.evidence, fix: i.fix ?? '' })),
      notes: (args.notes ?? []).map((text) => ({ text })),
    }),
  };
}
