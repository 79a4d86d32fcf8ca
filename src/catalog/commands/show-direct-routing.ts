/**
 * show direct routing: what a tenant moving on from Cloud Connector has for Direct Routing: the paired
 * SBCs (Get-CsOnlinePSTNGateway) and the online voice routing policies users can be granted
 * (Get-CsOnlineVoiceRoutingPolicy), with what is still missing before anyone can be moved.
 */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import { defineCommand } from '../command';
import { psText } from '../fields';

export const showDirectRouting = defineCommand({
  id: 'show-direct-routing',
  kind: 'check',
  title: 'Direct Routing',
  summary: 'Show the SBCs paired for Direct Routing and the online voice routing policies users can be given.',
  usage: 'show direct routing',
  examples: ['show direct routing', 'show sbcs', 'list SBCs', 'direct routing'],
  patterns: [/^(?:(?:show|list)\s+)?(?:the\s+)?(?:direct\s+routing(?:\s+(?:status|configuration|config))?|sbcs|session\s+border\s+controllers)$/i],
  input: z.object({}),
  required: [],
  audience: 'everyone',

  async run(ctx) {
    const [gateways, policies] = await Promise.all([
      ctx.tenant.run('Get-CsOnlinePSTNGateway', {}).then((r) => r.output),
      ctx.tenant.run('Get-CsOnlineVoiceRoutingPolicy', {}).then((r) => r.output),
    ]);
    const facts = gateways.map((g) => ({
      name: `${g.Enabled ? '✅' : '⚠️'} SBC ${g.Fqdn}`,
      value: `TLS port ${g.SipSignalingPort}, ${g.Enabled ? 'enabled' : 'disabled: Direct Routing sends it no calls'}, max concurrent sessions ${psText(g.MaxConcurrentSessions ?? null)}`,
    }));
    const named = policies.filter((p) => p.Identity.toLowerCase() !== 'global');
    for (const p of policies) {
      facts.push({ name: `📋 ${p.Identity.replace(/^tag:/i, '')}`, value: `PSTN usages ${psText(p.OnlinePstnUsages ?? [])}${p.Description ? ` (${p.Description})` : ''}` });
    }
    const todo: { text: string }[] = [];
    if (gateways.length === 0) todo.push({ text: 'Pair an SBC: add sbc <SBC FQDN> port <port>' });
    else if (!gateways.some((g) => g.Enabled)) todo.push({ text: 'Every paired SBC is disabled: enable one ("enable sbc <FQDN>") before routing calls to it' });
    if (named.length === 0) todo.push({ text: 'Route calls through the SBC with a usage, a voice route and a policy: add voice route <name> via <SBC FQDN>' });
    const ready = todo.length === 0;
    const summary = ready ? `${gateways.length} SBC${gateways.length === 1 ? '' : 's'} paired, ${named.length} polic${named.length === 1 ? 'y' : 'ies'} to grant` : `Not ready for Direct Routing users: ${todo.length} thing${todo.length === 1 ? '' : 's'} to do`;
    return {
      text: `${summary}.`,
      card: renderCard('facts', {
        title: 'Direct Routing',
        subtitle: 'Get-CsOnlinePSTNGateway and Get-CsOnlineVoiceRoutingPolicy',
        summary,
        summaryColor: ready ? 'Good' : 'Attention',
        facts,
        todo,
        notes: [{ text: 'Move a Cloud Connector user with "move <user> to direct routing policy <policy>"; give anyone else a number with "assign number <E.164> to <user> policy <policy>".' }],
      }),
    };
  },
});
