/**
 * cert issue <gateway fqdn>: for labs whose CA key the bot holds (CCE_CA_KEY_FILE, or the demo network's
 * own CA), the whole of step 2's gateway certificate at once: key, CSR, certificate signed by that CA, and
 * the PFX, delivered as `cert import` delivers it. Against a production Cloud Connector CA, use
 * cert request and cert import.
 */
import { Refusal } from '../../errors';
import { z } from 'zod';
import { defineCommand } from '../command';
import { certificateStep, makePlan } from '../plans';
import { certificateGuards, GatewayFqdn, gatewaySubject, keyProperty, observeHeld, pfxProperty } from './cert-request';

export const certIssue = defineCommand<{ gateway: string }>({
  id: 'cert-issue',
  kind: 'change',
  title: 'Gateway certificate from the lab CA',
  summary: 'Labs: key, certificate signed by the CA key the bot holds, and the PFX for a gateway, in one approval (step 2, MTLS).',
  usage: 'cert issue <gateway fqdn>',
  examples: ['cert issue gw1.contoso.com', 'certificate issue gw2.contoso.com', 'cert issue'],
  patterns: [/^cert(?:ificate)?\s+issue(?:\s+(?<gateway>\S+))?$/i],
  input: z.object({ gateway: GatewayFqdn }),
  required: ['gateway'],
  ask: { gateway: 'Which gateway? Type cert issue and its FQDN, e.g. cert issue gw1.contoso.com.' },
  audience: 'everyone',
  risk: 'medium',
  timeoutMs: 30_000,

  async observe(ctx, input) {
    return observeHeld(ctx.certificates, input.gateway);
  },

  async plan(ctx, input) {
    const notes = await certificateGuards(ctx, input.gateway, 'issue');
    const { labCa } = await ctx.certificates.material();
    if (!labCa) throw new Refusal('not-configured', 'No lab CA key is configured (CCE_CA_KEY_FILE): cert issue is for labs whose CA key the bot holds. With the Cloud Connector CA, use cert request and cert import.');
    const held = await observeHeld(ctx.certificates, input.gateway);
    return makePlan({
      target: `Gateway ${input.gateway}`,
      subject: gatewaySubject(input.gateway),
      changes: [
        { property: keyProperty(input.gateway), from: held[keyProperty(input.gateway)]!, to: 'a new 2048-bit RSA key, kept encrypted' },
        { property: pfxProperty(input.gateway), from: held[pfxProperty(input.gateway)]!, to: 'a new password-protected PFX, signed by the lab CA, 365 days' },
      ],
      expectations: [],
      steps: [certificateStep('issue', input.gateway, `Make the key, certificate and PFX for ${input.gateway} with the lab CA`)],
      notes: [...notes, 'Signed by the lab CA the bot holds, not by the Cloud Connector CA of a production deployment.'],
    });
  },
});
