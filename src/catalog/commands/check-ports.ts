/**
 * check ports <site>: the TCP ports of the planning doc's firewall tables toward the site's Edges,
 * Mediation Servers and gateways (seed step 1), probed from where the bot runs; UDP and media ranges are
 * listed with why a probe cannot verify them.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { checkPorts } from '../../network/check-ports';
import { presentItems } from '../../network/present';
import { mergeSites, networkRuntime } from '../../network/runtime';
import { defineCommand } from '../command';
import { SiteName } from '../fields';

export const checkPortsCommand = defineCommand<{ site: string }>({
  id: 'check-ports',
  kind: 'check',
  title: 'Firewall ports',
  summary: 'Probe the firewall ports of the planning doc toward a site\'s Edges, Mediation Servers and gateways (step 1).',
  usage: 'check ports <site>',
  examples: ['check ports Seattle', 'check ports for site Amsterdam', 'check ports'],
  patterns: [/^check\s+(?:firewall\s+)?ports(?:\s+(?:for\s+)?(?:(?:pstn\s+)?site\s+)?(?<site>.+))?$/i],
  input: z.object({ site: SiteName }),
  required: ['site'],
  ask: { site: 'Which site? Type check ports and a PSTN site name, e.g. check ports Seattle.' },
  audience: 'everyone',

  async run(ctx, input) {
    const rt = await networkRuntime();
    const sites = mergeSites(await ctx.store.listSites(), rt.inventory);
    const site = sites.find((s) => s.name.toLowerCase() === input.site.toLowerCase());
    if (!site) throw new Refusal('invalid-input', `There is no PSTN site "${input.site}" in the inventory. Sites: ${sites.map((s) => s.name).join(', ') || '(none)'}.`);
    const report = await checkPorts(rt.port, site, { timeoutMs: rt.probeTimeoutMs, budgetMs: rt.probeTimeoutMs * 3 });
    const rows = report.rows.filter((r) => r.expected === 'open');
    return presentItems({
      title: `Firewall ports, site ${site.name}`,
      subtitle: `TCP connect from ${rt.where}, ${rows.length} ports in ${report.elapsedMs} ms; expected open, seen as shown`,
      items: report.items,
      notes: ['This bot probes from where it runs: a port open from here may still be closed from the gateways\' or the internet\'s side of a firewall.'],
    });
  },
});
