/** The built-in commands: help, status, pending, history. Read-only: none of them changes the tenant. */
import { actions, findAction } from '../catalog/index';
import { psText } from '../catalog/fields';
import { renderCard } from '../cards/render';
import { Refusal } from '../errors';
import { builtins, type BuiltinCommand } from '../grammar/grammar';
import type { AuditEntry } from '../store/store';
import { findUsers } from '../tenant/directory';
import { TenantError } from '../tenant/port';
import { openStatuses } from '../workflow/request';
import type { Actor, ChatTurn } from './ports';
import { noUserMatches } from './resolve-user';
import type { SwitchboardDeps } from './switchboard';

type Handler = (deps: SwitchboardDeps, turn: ChatTurn, actor: Actor, args: Record<string, string>) => Promise<void>;

async function oneUser(deps: SwitchboardDeps, query: string) {
  const match = await findUsers(deps.tenant, query);
  if (match.kind === 'none') throw noUserMatches(query, match.closest);
  if (match.kind === 'many') {
    const names = match.users.slice(0, 8).map((u) => `${u.DisplayName} (${u.UserPrincipalName})`).join(', ');
    throw new Refusal('user-not-found', `"${query}" matches ${match.users.length} users: ${names}. Use a UPN to pick one.`);
  }
  return match.user;
}

const reported = (v: unknown) => (v === undefined || v === null ? 'not reported by this module version' : psText(v));

const status: Handler = async (deps, turn, _actor, args) => {
  const user = await oneUser(deps, args.user ?? '');
  const description = await deps.tenant.describe();
  const notes: { text: string }[] = [];
  let site = 'not available';
  let international = 'not available';
  try {
    const [pstn] = (await deps.tenant.run('Get-CsUserPstnSettings', { Identity: user.UserPrincipalName })).output;
    site = psText(pstn?.HybridPSTNSite);
    international = psText(pstn?.AllowInternationalCalls);
  } catch (err) {
    if (!(err instanceof TenantError)) throw err;
    notes.push({ text: `Get-CsUserPstnSettings: ${err.message}` });
  }
  const facts = [
    ['EnterpriseVoiceEnabled', psText(user.EnterpriseVoiceEnabled)],
    ['HostedVoiceMail', reported(user.HostedVoiceMail)],
    ['VoicePolicy', reported(user.VoicePolicy)],
    ['OnPremLineURI', psText(user.OnPremLineURI)],
    ['LineURI', psText(user.LineURI)],
    ['HybridPSTNSite', site],
    ['AllowInternationalCalls', international],
  ].map(([name, value]) => ({ name, value }));
  const text = `${user.DisplayName}: ${facts.slice(0, 3).map((f) => `${f.name} ${f.value}`).join(', ')}`;
  await turn.reply({ text, card: renderCard('user-status', { target: `${user.DisplayName} (${user.UserPrincipalName})`, moduleVersion: description.moduleVersion, facts, notes }) });
};

const help: Handler = async (deps, turn) => {
  const commands = [...builtins.map((b: BuiltinCommand) => ({ usage: b.usage, summary: b.summary })), ...actions.map((a) => ({ usage: a.usage, summary: a.summary }))];
  const description = await deps.tenant.describe();
  await turn.reply({ text: `Commands: ${commands.map((c) => c.usage).join(' · ')}`, card: renderCard('help', { tenantLabel: description.moduleVersion, commands }) });
};

const pending: Handler = async (deps, turn, actor) => {
  const isApprover = deps.approverIds.some((id) => id.toLowerCase() === actor.id.toLowerCase());
  const list = await deps.store.listRequests({ statuses: openStatuses, ...(isApprover ? {} : { requesterId: actor.id }), limit: 25 });
  if (list.length === 0) {
    await turn.reply({ text: isApprover ? 'Nothing is waiting.' : 'You have no open requests.' });
    return;
  }
  const requests = list.map((r) => ({ id: r.id, title: findAction(r.action)?.title ?? r.action, target: r.plan.target, status: r.status, requester: r.requester.name, expiresAt: r.expiresAt.slice(0, 16).replace('T', ' ') }));
  await turn.reply({
    text: `${list.length} open request${list.length === 1 ? '' : 's'}: ${requests.map((r) => r.id).join(', ')}`,
    card: renderCard('pending', { heading: isApprover ? 'Open requests' : 'Your open requests', requests }),
  });
};

function historyLine(e: AuditEntry): string {
  const who = e.actor === 'system' ? 'Switchboard' : e.actor.name;
  const parts = [who, e.requestId, e.subject, e.code].filter(Boolean);
  const detail = e.detail ?? {};
  if (typeof detail.command === 'string') parts.push(detail.command);
  if (typeof detail.reason === 'string') parts.push(`reason: ${detail.reason}`);
  if (typeof detail.error === 'string') parts.push(detail.error);
  return parts.join(' · ');
}

const history: Handler = async (deps, turn, _actor, args) => {
  const subject = args.user ? (await oneUser(deps, args.user)).UserPrincipalName.toLowerCase() : undefined;
  const entries = await deps.store.listAudit({ ...(subject ? { subject } : {}), limit: 15 });
  const chain = await deps.store.verifyAudit();
  await turn.reply({
    text: `${entries.length} audit entr${entries.length === 1 ? 'y' : 'ies'}${subject ? ` for ${subject}` : ''}.`,
    card: renderCard('history', {
      heading: subject ? `History of ${subject}` : 'History',
      chain: chain.ok ? `Audit chain intact (${chain.entries} entries).` : `Audit chain BROKEN at entry ${chain.brokenAt}: ${chain.reason}.`,
      entries: entries.map((e) => ({ seq: e.seq, at: e.at.slice(0, 19).replace('T', ' '), event: e.event, line: historyLine(e) })),
    }),
  });
};

export const builtinHandlers: Record<BuiltinCommand['name'], Handler> = { help, status, pending, history };
