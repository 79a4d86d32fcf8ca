/**
 * cert root: the Cloud Connector root CA certificate for the gateway vendor to import (seed step 2, MTLS),
 * as a PEM file, with its fingerprint to compare on the gateway. A public certificate: no approval.
 */
import { z } from 'zod';
import { exportRoot } from '../../certs/authority';
import { Refusal } from '../../errors';
import { presentItems } from '../../network/present';
import { networkRuntime } from '../../network/runtime';
import { defineCommand } from '../command';

export const certRoot = defineCommand({
  id: 'cert-root',
  kind: 'check',
  title: 'Root CA certificate',
  summary: 'Give the Cloud Connector root CA certificate (PEM, with its DER fingerprint) to import on the gateways.',
  usage: 'cert root',
  examples: ['cert root', 'show root certificate', 'cert root ca'],
  patterns: [/^(?:cert(?:ificate)?\s+root(?:\s+ca)?|show\s+root\s+(?:ca\s+)?cert(?:ificate)?)$/i],
  input: z.object({}),
  required: [],
  audience: 'everyone',

  async run() {
    const rt = await networkRuntime();
    const pem = rt.roots[0];
    if (!pem) throw new Refusal('invalid-input', 'No Cloud Connector root CA is configured: set CCE_ROOT_CA_FILE to the root exported from the CCE Active Directory computer.');
    const root = exportRoot(pem);
    const message = presentItems({
      title: 'Cloud Connector root CA',
      subtitle: 'Import it on each PSTN gateway as a trusted root, per the vendor\'s instructions (seed step 2)',
      items: [
        { check: 'subject', status: 'pass', evidence: root.subject },
        { check: 'SHA-256 fingerprint', status: 'pass', evidence: root.fingerprint256 },
        { check: 'valid until', status: 'pass', evidence: root.notAfter.toISOString().slice(0, 10) },
      ],
      notes: [`Attached as cce-root.cer (Base-64 PEM). A gateway that wants DER (binary): openssl x509 -in cce-root.cer -outform DER -out cce-root.der; it is ${root.der.length} bytes.`],
    });
    return { ...message, text: `Cloud Connector root CA ${root.subject}, SHA-256 ${root.fingerprint256}: attached as cce-root.cer.`, file: { name: 'cce-root.cer', contentType: 'application/pkix-cert', text: root.pem } };
  },
});
