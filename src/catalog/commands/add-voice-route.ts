/**
 * add voice route: the Direct Routing routing a Cloud Connector site's gateways used to be, in the
 * three steps Microsoft's voice routing documents (../shared/reference/cce-and-cmdlets.md 4.1), each
 * named after the route so one name reads through:
 *   Set-CsOnlinePstnUsage -Identity Global -Usage @{Add='<name>'}
 *   New-CsOnlineVoiceRoute -Identity <name> -NumberPattern <regex> -OnlinePstnGatewayList <SBCs> -OnlinePstnUsages <name>
 *   New-CsOnlineVoiceRoutingPolicy -Identity <name> -OnlinePstnUsages <name>
 * A part that exists already is left alone, so a request interrupted between the two creates can be
 * made again and does only what is missing.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import type { OnlineVoiceRoute, OnlineVoiceRoutingPolicy } from '../../tenant/cmdlets';
import { TenantError } from '../../tenant/port';
import { defineCommand, type ChangeCommand, type ReadContext } from '../command';
import { blank, Fqdn, planChanges } from '../fields';
import { callStep, makePlan } from '../plans';
import { PolicyName } from './assign-number';
import { readSbc } from './add-sbc';

/** "sbc1.contoso.com, sbc2.contoso.com", as typed or from the form (a stored request holds the parsed list). */
const Sbcs = z.preprocess(
  (v) => (Array.isArray(v) ? v.join(', ') : v),
  z
    .string({ error: 'Through which SBCs? Give their FQDNs, separated by commas.' })
    .max(1000, 'That list of SBCs is too long.')
    .transform((text, ctx) => {
      const list: string[] = [];
      for (const entry of text.split(/[,;\s]+/).map((e) => e.trim()).filter(Boolean)) {
        const parsed = Fqdn.safeParse(entry);
        if (!parsed.success) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not an SBC FQDN (e.g. sbc1.contoso.com).` });
          return z.NEVER;
        }
        if (!list.includes(parsed.data)) list.push(parsed.data);
      }
      if (list.length === 0 || list.length > 20) {
        ctx.addIssue({ code: 'custom', message: 'Give from 1 to 20 SBC FQDNs, separated by commas.' });
        return z.NEVER;
      }
      return list;
    }),
);

/** The route's number pattern: a regular expression the service matches against the dialled E.164 number. */
const NumberPattern = z
  .string()
  .trim()
  .min(1)
  .max(512, 'A number pattern is at most 512 characters.')
  .refine((v) => {
    try {
      new RegExp(v);
      return true;
    } catch {
      return false;
    }
  }, 'That number pattern is not a regular expression (e.g. ^\\+1(\\d{10})$ for the US and Canada).');

const Input = z.object({
  name: PolicyName,
  sbcs: Sbcs,
  // Every number, unless the admin narrows it: a site's gateways took all of its users' calls.
  pattern: z.preprocess(blank, NumberPattern.default('.*')),
});
type Input = z.infer<typeof Input>;

async function maybe<T>(read: Promise<{ output: T[] }>): Promise<T | undefined> {
  try {
    return (await read).output[0];
  } catch (err) {
    if (err instanceof TenantError && err.kind === 'not-found') return undefined;
    throw err;
  }
}

async function readParts(ctx: Pick<ReadContext, 'tenant'>, name: string): Promise<{ usages: string[]; route?: OnlineVoiceRoute; policy?: OnlineVoiceRoutingPolicy }> {
  const [usage] = (await ctx.tenant.run('Get-CsOnlinePstnUsage', {})).output;
  const route = await maybe(ctx.tenant.run('Get-CsOnlineVoiceRoute', { Identity: name }));
  const policy = await maybe(ctx.tenant.run('Get-CsOnlineVoiceRoutingPolicy', { Identity: name }));
  return { usages: usage?.Usage ?? [], ...(route ? { route } : {}), ...(policy ? { policy } : {}) };
}

const listText = (v: readonly string[] | null | undefined) => (v && v.length ? v.join(', ') : null);

const observe: ChangeCommand<Input>['observe'] = async (ctx, input) => {
  const { usages, route, policy } = await readParts(ctx, input.name);
  return {
    PstnUsage: usages.find((u) => u.toLowerCase() === input.name.toLowerCase()) ?? null,
    RouteGateways: listText(route?.OnlinePstnGatewayList),
    RoutePattern: route?.NumberPattern ?? null,
    RouteUsages: listText(route?.OnlinePstnUsages),
    PolicyUsages: listText(policy?.OnlinePstnUsages),
  };
};

export const addVoiceRoute = defineCommand<Input>({
  id: 'add-voice-route',
  kind: 'change',
  title: 'Add a voice route and policy (Direct Routing)',
  summary: 'Route calls through SBCs: a PSTN usage, a voice route and an online voice routing policy, all of one name.',
  usage: 'add voice route <name> via <SBC FQDN>[, <SBC FQDN>…] [pattern <number regex>]',
  examples: ['add voice route US-Unrestricted via sbc1.contoso.com', 'add voice route Seattle via sbc1.contoso.com, sbc2.contoso.com pattern ^\\+1(425|206)\\d{7}$', 'add voice route'],
  patterns: [/^add\s+(?:an?\s+)?(?:online\s+)?voice\s+route(?:\s+(?<name>(?!via\b|through\b)\S+))?(?:\s+(?:via|through)\s+(?<sbcs>.+?))?(?:\s+(?:for\s+)?(?:number\s+)?pattern\s+(?<pattern>\S+))?$/i],
  input: Input,
  required: ['name', 'sbcs'],
  formCard: 'add-voice-route-form',
  audience: 'everyone',
  risk: 'medium',
  timeoutMs: 60_000,

  async formData(ctx, input) {
    const sbcs = (await ctx.tenant.run('Get-CsOnlinePSTNGateway', {})).output.map((g) => g.Fqdn);
    return { name: input.name ?? '', sbcs: input.sbcs?.join(', ') ?? sbcs.join(', '), pattern: input.pattern ?? '.*', paired: sbcs.join(', ') || '(none yet: add sbc first)' };
  },

  observe,

  async plan(ctx, input) {
    for (const fqdn of input.sbcs) {
      const sbc = await readSbc(ctx, fqdn);
      if (!sbc) throw new Refusal('invalid-input', `${fqdn} is not paired with the tenant: pair it first (add sbc ${fqdn} port <port>).`);
    }
    const parts = await readParts(ctx, input.name);
    const sameName = (list: readonly string[] | null | undefined) => (list ?? []).length === 1 && list![0]!.toLowerCase() === input.name.toLowerCase();
    if (parts.route) {
      const same = parts.route.OnlinePstnGatewayList.map((g) => g.toLowerCase()).join(',') === input.sbcs.join(',') && parts.route.NumberPattern === input.pattern && sameName(parts.route.OnlinePstnUsages);
      if (!same) throw new Refusal('invalid-input', `The voice route ${parts.route.Identity} exists with ${listText(parts.route.OnlinePstnGatewayList)} for ${parts.route.NumberPattern} on the usages ${listText(parts.route.OnlinePstnUsages) ?? '(none)'}; changing a route is Set-CsOnlineVoiceRoute, which Switchboard does not run.`);
    }
    // A policy of that name without the usage would never reach the route: changing it is Set-CsOnlineVoiceRoutingPolicy.
    if (parts.policy && !(parts.policy.OnlinePstnUsages ?? []).some((u) => u.toLowerCase() === input.name.toLowerCase())) {
      throw new Refusal('invalid-input', `The online voice routing policy ${parts.policy.Identity.replace(/^tag:/i, '')} exists without the usage ${input.name} (it has ${listText(parts.policy.OnlinePstnUsages) ?? 'none'}); changing a policy is Set-CsOnlineVoiceRoutingPolicy, which Switchboard does not run. Choose another name.`);
    }
    const subject = `voice-route:${input.name.toLowerCase()}`;
    const { changes, expectations } = planChanges(await observe(ctx, input, subject), {
      PstnUsage: input.name,
      RouteGateways: input.sbcs.join(', '),
      RoutePattern: input.pattern,
      RouteUsages: input.name,
      PolicyUsages: parts.policy ? listText(parts.policy.OnlinePstnUsages) : input.name,
    });
    if (changes.length === 0) throw new Refusal('nothing-to-change', `The usage, voice route and policy ${input.name} are all there already: nothing to do.`);
    const hasUsage = parts.usages.some((u) => u.toLowerCase() === input.name.toLowerCase());
    return makePlan({
      target: `voice route ${input.name}`,
      subject,
      changes,
      expectations,
      steps: [
        ...(hasUsage ? [] : [callStep('Set-CsOnlinePstnUsage', { Identity: 'Global', Usage: { Add: [input.name] } }, { title: `Add the PSTN usage ${input.name}`, repeatSafe: true })]),
        ...(parts.route ? [] : [callStep('New-CsOnlineVoiceRoute', { Identity: input.name, NumberPattern: input.pattern, OnlinePstnGatewayList: input.sbcs, OnlinePstnUsages: [input.name] }, { title: `Route ${input.pattern} through ${input.sbcs.join(', ')}`, repeatSafe: false })]),
        ...(parts.policy ? [] : [callStep('New-CsOnlineVoiceRoutingPolicy', { Identity: input.name, OnlinePstnUsages: [input.name] }, { title: `Create the online voice routing policy ${input.name}`, repeatSafe: false })]),
      ],
      notes: [
        `Grant it with "assign number <E.164> to <user> policy ${input.name}", or move a Cloud Connector user with "move <user> to direct routing policy ${input.name}".`,
        ...(input.pattern === '.*' ? ['The pattern .* sends every number through these SBCs; narrow it (pattern <regex>) to keep some calls elsewhere.'] : []),
        ...(parts.policy ? [`The policy ${input.name} exists already and is left as it is.`] : []),
      ],
    });
  },
});
