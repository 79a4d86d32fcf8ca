/** help: the commands this person may run, generated from the catalog. */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import { defineCommand } from '../command';

const kindWord = { check: 'answers at once', change: 'needs approval', batch: 'one approval for many', decision: 'approvers only' } as const;

export const help = defineCommand({
  id: 'help',
  kind: 'check',
  title: 'Help',
  summary: 'Show what I can do.',
  usage: 'help',
  examples: ['help', 'Help', '?', 'what can you do'],
  patterns: [/^(?:help|\?|commands|what can you do\??)$/i],
  input: z.object({}),
  required: [],
  audience: 'everyone',

  async run(ctx) {
    const mine = ctx.commands.filter((c) => c.audience === 'everyone' || ctx.isApprover);
    const commands = mine.map((c) => ({ usage: c.usage, summary: c.summary, kind: kindWord[c.kind] }));
    const description = await ctx.tenant.describe();
    return {
      text: `Commands: ${commands.map((c) => c.usage).join(' · ')}`,
      card: renderCard('help', { tenantLabel: description.moduleVersion, commands }),
    };
  },
});
