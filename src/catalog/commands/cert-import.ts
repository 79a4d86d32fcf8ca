/**
 * cert import <gateway fqdn>: the certificate the Cloud Connector CA issued for a `cert request` CSR comes
 * back (pasted, or attached in a 1:1 chat: a .cer in Base-64 or DER, or the .p7b chain). It is checked against the held key, the
 * FQDN (CN and DNS SAN), the Cloud Connector root and its dates before anything is filed; once approved,
 * the bot packs key and chain into a password-protected PFX for the gateway ("export it with the private
 * key and import on the gateway") and sends a one-time link and, apart, its password.
 */
import { z } from 'zod';
import { readIssuedUpload } from '../../certs/issued-upload';
import { CertificateOperationError } from '../../certs/operations';
import { Refusal } from '../../errors';
import { defineCommand } from '../command';
import { certificateStep, makePlan } from '../plans';
import { certificateGuards, GatewayFqdn, gatewaySubject, observeHeld, pfxProperty } from './cert-request';

/** The issued certificate as pasted or attached (PEM, Base-64 or DER, one certificate or a .p7b chain), as PEM. */
const IssuedCertificate = z
  .string({ error: 'Paste the issued certificate in Base-64 (PEM) form, or attach the .cer or .p7b file.' })
  .max(64 * 1024, 'That is more than a certificate and its chain: paste only the issued certificate (PEM).')
  .transform((text, ctx) => {
    const read = readIssuedUpload(text);
    if ('reason' in read) {
      ctx.addIssue({ code: 'custom', message: read.reason });
      return z.NEVER;
    }
    return read.pem;
  });

export const certImport = defineCommand<{ gateway: string; certificate: string }>({
  id: 'cert-import',
  kind: 'change',
  title: 'Gateway certificate to PFX',
  summary: 'Take back the certificate issued for a gateway\'s CSR, check it (key, CN/SAN, chain, dates) and make the PFX for the gateway (step 2, MTLS).',
  usage: 'cert import <gateway fqdn> [<PEM certificate>]',
  examples: ['cert import gw1.contoso.com', 'cert import', 'certificate import gw1.contoso.com -----BEGIN CERTIFICATE----- MIIB -----END CERTIFICATE-----'],
  patterns: [/^cert(?:ificate)?\s+import(?:\s+(?<gateway>(?!-----|MII[A-Za-z0-9+/]{20})\S+))?(?:\s+(?<certificate>(?:-----BEGIN|MII[A-Za-z0-9+/]{20})[\s\S]*))?$/i],
  input: z.object({ gateway: GatewayFqdn, certificate: IssuedCertificate }),
  required: ['gateway', 'certificate'],
  fileField: 'certificate',
  formCard: 'cert-import-form',
  audience: 'everyone',
  risk: 'medium',
  timeoutMs: 30_000,

  async formData(_ctx, input) {
    return { gateway: typeof input.gateway === 'string' ? input.gateway : '' };
  },

  async observe(ctx, input) {
    return observeHeld(ctx.certificates, input.gateway);
  },

  async plan(ctx, input) {
    const notes = await certificateGuards(ctx, input.gateway, 'import');
    let checks;
    try {
      checks = await ctx.certificates.checkIssued(input.gateway, input.certificate);
    } catch (err) {
      if (err instanceof CertificateOperationError) throw new Refusal('invalid-input', err.message);
      throw err;
    }
    const failed = checks.find((c) => c.status === 'fail');
    if (failed) throw new Refusal('invalid-input', `That certificate cannot be used for ${input.gateway}: ${failed.check}: ${failed.evidence}${failed.fix ? `; ${failed.fix}` : ''}. Nothing was made.`);
    notes.push(`Checked: ${checks.map((c) => `${c.check} ${c.status} (${c.evidence})`).join('; ')}.`);
    const now = (await observeHeld(ctx.certificates, input.gateway))[pfxProperty(input.gateway)]!;
    return makePlan({
      target: `Gateway ${input.gateway}`,
      subject: gatewaySubject(input.gateway),
      changes: [{ property: pfxProperty(input.gateway), from: now, to: 'a new password-protected PFX with the key and chain' }],
      expectations: [],
      steps: [certificateStep('import', input.gateway, `Check the certificate and make the PFX for ${input.gateway}`, input.certificate)],
      notes,
    });
  },
});
