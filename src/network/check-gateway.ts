/**
 * `check gateway <fqdn>`: the procedure's step 2 seen from the wire. A TLS handshake to the gateway (the bot
 * presenting its client certificate where configured, as a Mediation Server would), the gateway's
 * certificate against its FQDN, the configured root CA, its dates and its key usage for MTLS; then SIP
 * OPTIONS over the same connection, with the response code and latency.
 */
import { ekuItem, nameItems, validityItem } from '../certs/authority';
import { inspectCertificate, verifyChain } from '../certs/inspect';
import type { CheckItem } from '../model/check';
import type { Gateway } from './inventory-types';
import type { ClientCertificate, NetworkPort, TlsHandshake } from './port';

export interface GatewayCheckOptions {
  /** The Cloud Connector root CA (and intermediates), PEM: the gateway's chain must lead to it. */
  roots: string[];
  /** The certificate the bot presents (MTLS), when configured. */
  clientCert?: ClientCertificate;
  timeoutMs?: number;
  now?: Date;
}

export interface GatewayReport {
  gateway: string;
  items: CheckItem[];
  handshake?: TlsHandshake;
}

export async function checkGateway(port: NetworkPort, gateway: Gateway, options: GatewayCheckOptions): Promise<GatewayReport> {
  const now = options.now ?? new Date();
  // Resolve through the port, so the configured DNS server is the one asked, as in `check dns`.
  let host = gateway.ip;
  if (!host) {
    const a = await port.resolve(gateway.fqdn, 'A');
    if (!a.ok) return { gateway: gateway.fqdn, items: [{ check: 'gateway address', status: 'fail', evidence: a.error.message, fix: `add an A record for ${gateway.fqdn}, or its IP address to the inventory` }] };
    host = a.value[0]!;
  }
  const where = `${gateway.fqdn}:${gateway.port} (${host})`;
  const result = await port.sipOptions({
    host,
    port: gateway.port,
    transport: gateway.transport,
    target: gateway.fqdn,
    timeoutMs: options.timeoutMs ?? 3000,
    ...(gateway.transport === 'tls' ? { tls: { servername: gateway.fqdn, ...(options.roots.length ? { ca: options.roots } : {}), ...(options.clientCert ? { clientCert: options.clientCert } : {}) } } : {}),
  });
  const items: CheckItem[] = [];
  const handshake = result.ok ? result.value.handshake : result.partial?.handshake;

  if (gateway.transport === 'tcp') {
    items.push({ check: 'transport', status: 'pass', evidence: `SIP over TCP to ${where}: no TLS, so no certificate to check (MTLS applies to TLS trunks)` });
  } else if (!handshake) {
    const e = result.ok ? undefined : result.error;
    items.push({ check: 'TLS handshake', status: 'fail', evidence: e?.message ?? `no TLS handshake with ${where}`, fix: handshakeFix(e?.reason ?? e?.kind ?? '', options.clientCert !== undefined, gateway.fqdn) });
    return { gateway: gateway.fqdn, items };
  } else if (!result.ok && result.error.kind === 'tls-error') {
    // TLS 1.3: the gateway rejects our certificate (or its absence) only after the handshake looks done.
    items.push({ check: 'TLS handshake', status: 'fail', evidence: result.error.message, fix: handshakeFix(result.error.reason ?? '', options.clientCert !== undefined, gateway.fqdn) });
    items.push(...certificateItems(handshake, gateway.fqdn, options.roots, options.clientCert !== undefined, now));
    return { gateway: gateway.fqdn, items, handshake };
  } else {
    items.push({ check: 'TLS handshake', status: 'pass', evidence: `${handshake.protocol}, ${handshake.cipher} with ${where}${handshake.clientCertSent ? '; the bot presented its client certificate (MTLS)' : '; no client certificate presented (none configured)'}` });
    items.push(...certificateItems(handshake, gateway.fqdn, options.roots, options.clientCert !== undefined, now));
  }

  if (result.ok) {
    const r = result.value.response;
    const status = r.code >= 200 && r.code < 300 ? 'pass' : 'warn';
    items.push({
      check: 'SIP OPTIONS',
      status,
      evidence: `${r.statusLine} in ${r.latencyMs} ms${r.server ? ` from ${r.server}` : ''}`,
      ...(status === 'pass' ? {} : { fix: `the gateway answers SIP but refuses OPTIONS from this host: allow the Mediation Servers' addresses on the trunk of ${gateway.fqdn}` }),
    });
  } else {
    items.push({ check: 'SIP OPTIONS', status: 'fail', evidence: result.error.message, fix: `check that the trunk on ${gateway.fqdn} listens on ${gateway.transport.toUpperCase()} ${gateway.port} and points back to each Mediation Server FQDN (procedure step 2)` });
  }
  return handshake ? { gateway: gateway.fqdn, items, handshake } : { gateway: gateway.fqdn, items };
}

function certificateItems(handshake: TlsHandshake, fqdn: string, roots: string[], mtls: boolean, now: Date): CheckItem[] {
  const leaf = handshake.chain[0];
  if (!leaf) return [{ check: 'gateway certificate', status: 'fail', evidence: 'the gateway presented no certificate' }];
  const facts = inspectCertificate(leaf, now);
  const items = nameItems(facts, fqdn).map((i) => (i.status === 'fail' ? { ...i, fix: `issue the gateway a certificate with CN and DNS SAN ${fqdn}: \`cert request ${fqdn}\`` } : i));
  if (roots.length === 0) {
    items.push({ check: 'chain', status: 'warn', evidence: `issued by ${facts.issuerCn ?? 'an unnamed CA'}; no root CA configured to check it against`, fix: 'set CCE_ROOT_CA_FILE to the Cloud Connector root CA (`cert root` shows it)' });
  } else {
    const verdict = verifyChain(handshake.chain, roots, now);
    items.push(verdict.ok ? { check: 'chain', status: 'pass', evidence: verdict.detail } : { check: 'chain', status: 'fail', evidence: verdict.detail, fix: `issue the gateway certificate from the Cloud Connector CA (\`cert request ${fqdn}\`, then \`cert import ${fqdn}\`), or import the gateway's root on the Mediation Servers` });
  }
  const validity = validityItem(facts, now);
  items.push(validity.status === 'pass' ? validity : { ...validity, fix: `renew it: \`cert request ${fqdn}\`, then \`cert import ${fqdn}\`` });
  const eku = ekuItem(facts);
  items.push(mtls || eku.status === 'pass' ? eku : { ...eku, status: 'warn' });
  return items;
}

function handshakeFix(reason: string, clientCertSent: boolean, fqdn: string): string {
  if (/certificate required|handshake failure|peer did not return a certificate/i.test(reason) && !clientCertSent) {
    return 'the gateway requires MTLS: configure the bot\'s client certificate (MTLS_CLIENT_CERT_FILE and MTLS_CLIENT_KEY_FILE)';
  }
  if (/unknown ca|bad certificate|certificate unknown|decrypt error/i.test(reason)) {
    return 'the gateway does not trust the client certificate: import the Cloud Connector root on the gateway (`cert root`)';
  }
  if (/refused|timeout|unreachable/i.test(reason)) return `open the gateway's TLS port toward the Mediation Servers and check that the trunk listens (\`check ports\`)`;
  return `check the TLS settings of the trunk on ${fqdn} (protocol versions, certificate assigned)`;
}
