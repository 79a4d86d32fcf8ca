/**
 * cert request <gateway fqdn>: a new key for a PSTN gateway and its CSR (seed step 2, MTLS: "Common name
 * in Subject and DNS name in Alternative name = gateway FQDN"), to submit to the Cloud Connector CA. The
 * key never leaves the bot (kept encrypted for `cert import`); the CSR goes to the requester's 1:1 chat.
 * It produces a key, so it is a change: approved first.
 */
import { z } from 'zod';
import type { GatewayCertificates } from '../../certs/gateway-certificates';
import type { StoredItem } from '../../certs/key-store';
import { Refusal } from '../../errors';
import { sameName } from '../../model/inventory';
import { defineCommand, type CommandContext } from '../command';
import { Fqdn } from '../fields';
import { certificateStep, makePlan } from '../plans';

export const GatewayFqdn = z.preprocess((v) => v ?? '', Fqdn.refine((v) => v !== '', 'Which gateway? Give its FQDN, e.g. gw1.contoso.com.'));

export const keyProperty = (gateway: string) => `Key for ${gateway}`;
export const pfxProperty = (gateway: string) => `PFX for ${gateway}`;
export const gatewaySubject = (gateway: string) => `gateway:${gateway}`;

/** How the approver sees what the bot holds: a count and the newest, so a change in between makes the request stale. */
export function heldText(items: readonly StoredItem[]): string {
  const newest = items.at(-1);
  return newest ? `${items.length} held, newest made ${newest.createdAt.slice(0, 16).replace('T', ' ')} UTC` : 'none';
}

export async function observeHeld(certificates: GatewayCertificates, gateway: string): Promise<Record<string, string>> {
  const held = await certificates.held(gateway);
  return { [keyProperty(gateway)]: heldText(held.keys), [pfxProperty(gateway)]: heldText(held.pfx) };
}

/**
 * What every key-producing command checks before it files anything: the key store is there, and the
 * requester has a 1:1 chat with the bot, the only place a CSR, a PFX link or its password is sent.
 * Returns notes for the approver (a gateway the inventory does not know).
 */
export async function certificateGuards(ctx: CommandContext, gateway: string, operation: 'request' | 'import' | 'issue'): Promise<string[]> {
  const why = ctx.certificates.unavailable(operation);
  if (why) throw new Refusal('not-configured', why);
  if (!(await ctx.store.getConversation(`user:${ctx.actor.id.toLowerCase()}`))) {
    throw new Refusal('procedure-rule', 'Open a 1:1 chat with me first (say help there): keys, PFX links and passwords are only ever sent to you there, never to a channel.');
  }
  const sites = await ctx.store.listSites();
  const known = sites.flatMap((s) => s.gateways.map((g) => ({ site: s.name, g }))).find((x) => sameName(x.g.address, gateway));
  if (!known) return [`${gateway} is not a gateway of Switchboard's site inventory (add gateway ${gateway} to site <site> tls): the certificate is made all the same.`];
  if (known.g.transport !== 'tls') return [`Gateway ${gateway} of site ${known.site} is recorded with ${known.g.transport.toUpperCase()}: MTLS needs its trunks on TLS (add gateway ${gateway} to site ${known.site} tls).`];
  return [];
}

export const certRequest = defineCommand<{ gateway: string }>({
  id: 'cert-request',
  kind: 'change',
  title: 'Gateway key and CSR',
  summary: 'Make a new key and a CSR (CN and DNS SAN = the gateway FQDN) for a PSTN gateway, to submit to the Cloud Connector CA (step 2, MTLS).',
  usage: 'cert request <gateway fqdn>',
  examples: ['cert request gw1.contoso.com', 'certificate request gw2.contoso.com', 'cert request', 'new csr for gw1.contoso.com'],
  patterns: [/^(?:cert(?:ificate)?\s+request|(?:new\s+)?csr\s+for)(?:\s+(?<gateway>\S+))?$/i],
  input: z.object({ gateway: GatewayFqdn }),
  required: ['gateway'],
  ask: { gateway: 'Which gateway? Type cert request and its FQDN, e.g. cert request gw1.contoso.com.' },
  audience: 'everyone',
  risk: 'low',
  timeoutMs: 30_000,

  async observe(ctx, input) {
    return observeHeld(ctx.certificates, input.gateway);
  },

  async plan(ctx, input) {
    const notes = await certificateGuards(ctx, input.gateway, 'request');
    const now = (await observeHeld(ctx.certificates, input.gateway))[keyProperty(input.gateway)]!;
    if (now !== 'none') notes.push(`Switchboard already holds ${now.replace(' held', '')} key(s) for ${input.gateway}; they stay, and cert import finds the one a certificate was issued for.`);
    return makePlan({
      target: `Gateway ${input.gateway}`,
      subject: gatewaySubject(input.gateway),
      changes: [{ property: keyProperty(input.gateway), from: now, to: 'a new 2048-bit RSA key, kept encrypted, and its CSR' }],
      // What is made cannot be read back as a value known now: the step's own checks are the verification.
      expectations: [],
      steps: [certificateStep('request', input.gateway, `Make the key and CSR for ${input.gateway}`)],
      notes,
    });
  },
});
