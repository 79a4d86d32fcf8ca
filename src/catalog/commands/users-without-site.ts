/**
 * users without site: the voice-enabled users with no HybridPSTNSite, whose calls fall back to the
 * tenant's PeerDestination (seed step 8: "If no PSTN site is assigned to a user, hybrid connectivity
 * ... will fall back to use the tenant level default one"). The seed's tenant-wide view is
 * `Get-CsOnlineUser | Get-CsUserPstnSettings`: one read per user, so the work is capped and the
 * answer says how many users it looked at.
 */
import { z } from 'zod';
import { renderCard } from '../../cards/render';
import type { OnlineUser } from '../../tenant/cmdlets';
import { TenantError } from '../../tenant/port';
import { defineCommand } from '../command';

/** At most this many voice-enabled users are read per run: one Get-CsUserPstnSettings each, inside one turn. */
export const usersWithoutSiteCap = 200;
/** Reads in flight at once: enough to overlap the PowerShell pool's sessions, not to flood it. */
const parallel = 4;
/** Names listed on the card; the text names fewer. */
const listed = 50;

export const usersWithoutSite = defineCommand({
  id: 'users-without-site',
  kind: 'check',
  title: 'Users without a PSTN site',
  summary: 'List the voice-enabled users with no PSTN site, whose calls fall back to the tenant\'s PeerDestination.',
  usage: 'users without site',
  examples: ['users without site', 'users without a PSTN site', 'show users without site', 'Users with no site'],
  patterns: [/^(?:(?:show|list)\s+)?(?:the\s+)?(?:voice\s+)?users\s+(?:without|with\s+no)\s+(?:a\s+)?(?:pstn\s+)?sites?$/i],
  input: z.object({}),
  required: [],
  audience: 'everyone',

  async run(ctx) {
    // One more than the cap tells whether the tenant has more voice users than this run reads.
    const voice = (await ctx.tenant.run('Get-CsOnlineUser', { Filter: 'EnterpriseVoiceEnabled -eq $true', ResultSize: usersWithoutSiteCap + 1 })).output;
    const capped = voice.length > usersWithoutSiteCap;
    const users = voice.slice(0, usersWithoutSiteCap);
    const without: OnlineUser[] = [];
    const unreadable: string[] = [];
    for (let i = 0; i < users.length; i += parallel) {
      const batch = users.slice(i, i + parallel);
      const reads = await Promise.all(batch.map(async (u) => {
        try {
          return { u, settings: (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: u.UserPrincipalName })).output[0] };
        } catch (err) {
          if (!(err instanceof TenantError)) throw err;
          return { u, error: err.message };
        }
      }));
      for (const r of reads) {
        if ('error' in r) unreadable.push(r.u.UserPrincipalName);
        else if (!r.settings?.HybridPSTNSite) without.push(r.u);
      }
    }
    let peer: string | null | undefined;
    try {
      peer = (await ctx.tenant.run('Get-CsTenantHybridConfiguration', {})).output[0]?.PeerDestination ?? null;
    } catch (err) {
      if (!(err instanceof TenantError)) throw err;
      peer = undefined;
    }
    const fallback = peer === undefined
      ? 'the tenant\'s PeerDestination (Get-CsTenantHybridConfiguration could not be read)'
      : peer
        ? `the tenant's PeerDestination ${peer}`
        : 'the tenant\'s PeerDestination, which is not set (configure hybrid first): their calls have no hybrid route';
    const looked = `Looked at ${users.length} voice-enabled user${users.length === 1 ? '' : 's'}${capped ? ` (the first ${usersWithoutSiteCap}; the tenant has more, not read to keep this bounded)` : ''}`;
    const heading = without.length
      ? `${without.length} voice-enabled user${without.length === 1 ? ' has' : 's have'} no PSTN site: calls fall back to ${fallback}`
      : `Every voice-enabled user looked at has a PSTN site`;
    const extra = unreadable.length ? ` ${unreadable.length} could not be read (first: ${unreadable[0]}).` : '';
    const names = without.map((u) => `${u.DisplayName} (${u.UserPrincipalName})`);
    return {
      text: `${heading}. ${looked}.${extra}${names.length ? ` ${names.slice(0, 10).join(', ')}${names.length > 10 ? `, and ${names.length - 10} more` : ''}.` : ''}`,
      card: renderCard('users-without-site', {
        heading,
        looked: `${looked}.${extra}`,
        users: without.slice(0, listed).map((u) => ({ name: u.DisplayName, value: `${u.UserPrincipalName}: assign ${u.UserPrincipalName} to site <site>` })),
        more: names.length > listed ? `and ${names.length - listed} more` : '',
      }),
    };
  },
});
