/**
 * The simulated network: DNS records, hosts with their ports, TLS services with real certificates and SIP
 * answers, all in memory. It answers exactly as the real backend would (same error kinds, same messages
 * where they matter), so checks and commands read the same over both; the contract suite holds both to it.
 */
import { X509Certificate } from 'node:crypto';
import { verifyChain } from '../certs/inspect';
import {
  canonicalName,
  netError,
  type DnsAnswers,
  type NetResult,
  type NetworkPort,
  type RrType,
  type SipOptionsRequest,
  type SipOptionsResult,
  type TlsHandshake,
  type TlsOptions,
} from './port';

export interface SimDnsEntry {
  A?: string[];
  AAAA?: string[];
  CNAME?: string[];
  SRV?: DnsAnswers['SRV'];
  /** The DNS server fails for this name. */
  fail?: 'servfail' | 'timeout';
}

export interface SimSipAnswer {
  code: number;
  reason: string;
  latencyMs: number;
  server?: string;
}

export interface SimTlsService {
  /** Leaf first, PEM. */
  chain: string[];
  protocol?: string;
  /** Accepts TCP and never answers the handshake. */
  silent?: boolean;
  requireClientCert?: boolean;
  /** Roots the service trusts for client certificates. */
  trustedClientRoots?: string[];
  sip?: SimSipAnswer;
}

export interface SimHost {
  /** Port → state; a port not listed is closed. "filtered" never answers. */
  ports: Record<number, 'open' | 'filtered'>;
  tls?: Record<number, SimTlsService>;
  /** SIP over TCP answers, by port. */
  sip?: Record<number, SimSipAnswer>;
}

export interface SimNetworkState {
  dns: Record<string, SimDnsEntry>;
  /** By address. */
  hosts: Record<string, SimHost>;
  /** How long an answer takes. */
  latencyMs?: number;
  dnsTimeoutMs?: number;
}

export class SimulatedNetwork implements NetworkPort {
  readonly backend = 'sim' as const;

  constructor(private readonly state: SimNetworkState) {}

  async resolve<T extends RrType>(name: string, rrtype: T): Promise<NetResult<DnsAnswers[T]>> {
    const host = canonicalName(name);
    const entry = this.state.dns[host];
    if (entry?.fail === 'timeout') {
      const t = this.state.dnsTimeoutMs ?? 2000;
      await delay(t);
      return { ok: false, error: netError('timeout', `the DNS server did not answer for ${host} ${rrtype} within ${t} ms`), ms: t };
    }
    const ms = await this.wait();
    if (entry?.fail === 'servfail') return { ok: false, error: netError('servfail', `the DNS server failed to answer for ${host} ${rrtype} (SERVFAIL)`), ms };
    if (!entry && !this.hasChildren(host)) return { ok: false, error: netError('nxdomain', `${host} does not exist (NXDOMAIN)`), ms };
    // Like a recursive resolver, an address query follows a CNAME to its target.
    const alias = entry?.CNAME?.[0];
    if ((rrtype === 'A' || rrtype === 'AAAA') && alias && !entry?.[rrtype]) return this.resolve(alias, rrtype);
    const records = entry?.[rrtype] as DnsAnswers[T] | undefined;
    if (!records?.length) return { ok: false, error: netError('nodata', `${host} exists but has no ${rrtype} record`), ms };
    return { ok: true, value: structuredClone(records), ms };
  }

  async probeTcp(host: string, port: number, timeoutMs: number): Promise<NetResult<{ address: string }>> {
    const address = this.addressOf(host);
    const h = address ? this.state.hosts[address] : undefined;
    if (!address || !h) {
      await delay(timeoutMs);
      return { ok: false, error: netError('timeout', `no answer from ${host}:${port} within ${timeoutMs} ms`), ms: timeoutMs };
    }
    const state = h.ports[port];
    if (state === 'filtered') {
      await delay(timeoutMs);
      return { ok: false, error: netError('timeout', `no answer from ${host}:${port} within ${timeoutMs} ms`), ms: timeoutMs };
    }
    const ms = await this.wait();
    if (state !== 'open') return { ok: false, error: netError('refused', `${host}:${port} refused the connection (nothing listens, or a firewall rejects)`), ms };
    return { ok: true, value: { address }, ms };
  }

  async tlsHandshake(options: TlsOptions): Promise<NetResult<TlsHandshake>> {
    const started = Date.now();
    const tcp = await this.probeTcp(options.host, options.port, options.timeoutMs);
    if (!tcp.ok) return tcp;
    const service = this.state.hosts[tcp.value.address]?.tls?.[options.port];
    if (!service) return { ok: false, error: netError('tls-error', `TLS with ${options.host}:${options.port} failed: wrong version number`, 'wrong version number'), ms: Date.now() - started };
    if (service.silent) {
      const left = Math.max(0, options.timeoutMs - (Date.now() - started));
      await delay(left);
      return { ok: false, error: netError('timeout', `no TLS handshake with ${options.host}:${options.port} within ${options.timeoutMs} ms`), ms: Date.now() - started };
    }
    const protocol = service.protocol ?? 'TLSv1.3';
    if (service.requireClientCert) {
      if (!options.clientCert) return tlsFailure(options, protocol === 'TLSv1.3' ? 'tlsv13 alert certificate required' : 'sslv3 alert handshake failure', started);
      const chain = [...options.clientCert.certPem.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
      if (!verifyChain(chain, service.trustedClientRoots ?? []).ok) return tlsFailure(options, protocol === 'TLSv1.3' ? 'tlsv1 alert unknown ca' : 'sslv3 alert bad certificate', started);
    }
    const verdict = options.ca?.length ? verifyChain(service.chain, options.ca) : { ok: false, detail: 'unable to get local issuer certificate' };
    const leaf = service.chain[0] ? new X509Certificate(service.chain[0]) : undefined;
    const nameOk = leaf?.checkHost(options.servername) !== undefined;
    const authorizationError = !verdict.ok ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' : !nameOk ? 'ERR_TLS_CERT_ALTNAME_INVALID' : undefined;
    const handshake: TlsHandshake = {
      protocol,
      cipher: protocol === 'TLSv1.3' ? 'TLS_AES_256_GCM_SHA384' : 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      chain: [...service.chain],
      // Node reports chain verification here; the host name is checked by the caller.
      authorized: verdict.ok,
      ...(authorizationError && !verdict.ok ? { authorizationError } : {}),
      clientCertSent: options.clientCert !== undefined,
    };
    return { ok: true, value: handshake, ms: Date.now() - started };
  }

  async sipOptions(request: SipOptionsRequest): Promise<NetResult<SipOptionsResult> & { partial?: { handshake?: TlsHandshake } }> {
    const started = Date.now();
    let handshake: TlsHandshake | undefined;
    let answer: SimSipAnswer | undefined;
    if (request.transport === 'tls') {
      const hs = await this.tlsHandshake({ ...request.tls, servername: request.tls?.servername ?? request.target, host: request.host, port: request.port, timeoutMs: request.timeoutMs });
      if (!hs.ok) return hs;
      handshake = hs.value;
      answer = this.state.hosts[this.addressOf(request.host)!]?.tls?.[request.port]?.sip;
    } else {
      const tcp = await this.probeTcp(request.host, request.port, request.timeoutMs);
      if (!tcp.ok) return tcp;
      answer = this.state.hosts[tcp.value.address]?.sip?.[request.port];
    }
    const remaining = request.timeoutMs - (Date.now() - started);
    if (!answer || answer.latencyMs > remaining) {
      await delay(Math.max(0, remaining));
      return { ok: false, error: netError('timeout', `no SIP response to OPTIONS from ${request.host}:${request.port} within ${Math.max(0, remaining)} ms`), ms: Date.now() - started, partial: handshake ? { handshake } : {} };
    }
    await delay(answer.latencyMs);
    const response = { statusLine: `SIP/2.0 ${answer.code} ${answer.reason}`, code: answer.code, reason: answer.reason, latencyMs: answer.latencyMs, ...(answer.server ? { server: answer.server } : {}) };
    return { ok: true, value: handshake ? { handshake, response } : { response }, ms: Date.now() - started };
  }

  private addressOf(host: string): string | undefined {
    if (this.state.hosts[host]) return host;
    return this.state.dns[canonicalName(host)]?.A?.[0];
  }

  /** A name with records below it exists (an "empty non-terminal"): NODATA, not NXDOMAIN. */
  private hasChildren(host: string): boolean {
    return Object.keys(this.state.dns).some((n) => n.endsWith(`.${host}`));
  }

  private async wait(): Promise<number> {
    const ms = this.state.latencyMs ?? 0;
    if (ms > 0) await delay(ms);
    return ms;
  }
}

function tlsFailure(options: TlsOptions, reason: string, started: number): NetResult<never> {
  return { ok: false, error: netError('tls-error', `TLS with ${options.host}:${options.port} failed: ${reason}`, reason), ms: Date.now() - started };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
