/**
 * The real network: Node's DNS resolver (c-ares, toward the configured DNS servers), net and tls. Every
 * call has its own deadline, and every socket is destroyed when the call settles.
 */
import { promises as dns } from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { z } from 'zod';
import {
  canonicalName,
  netError,
  type DnsAnswers,
  type NetError,
  type NetResult,
  type NetworkPort,
  type RrType,
  type SipOptionsRequest,
  type SipOptionsResult,
  type TlsHandshake,
  type TlsOptions,
} from './port';
import { buildOptions, takeResponses } from './sip';

export interface RealNetworkOptions {
  /** "ip" or "ip:port" (IPv6 as "[::1]:53"); empty = the system's resolvers. */
  dnsServers?: string[];
  dnsTimeoutMs?: number;
}

const SrvAnswer = z.array(z.object({ name: z.string(), port: z.number().int(), priority: z.number().int(), weight: z.number().int() }));
const NameAnswer = z.array(z.string());

/** After a TLS 1.3 handshake the server may still reject our (missing) client certificate: wait this long for its alert. */
const ALERT_GRACE_MS = 150;

export class RealNetwork implements NetworkPort {
  readonly backend = 'real' as const;
  private readonly dnsTimeoutMs: number;
  private readonly dnsServers: string[];

  constructor(options: RealNetworkOptions = {}) {
    this.dnsTimeoutMs = options.dnsTimeoutMs ?? 2000;
    this.dnsServers = options.dnsServers ?? [];
  }

  async resolve<T extends RrType>(name: string, rrtype: T): Promise<NetResult<DnsAnswers[T]>> {
    const started = Date.now();
    // One resolver per query: cancel() on timeout must not cut other checks' queries.
    const resolver = new dns.Resolver({ timeout: this.dnsTimeoutMs, tries: 1 });
    if (this.dnsServers.length) resolver.setServers(this.dnsServers);
    const host = canonicalName(name);
    const query = async (): Promise<DnsAnswers[RrType]> => {
      switch (rrtype) {
        case 'A':
          return NameAnswer.parse(await resolver.resolve4(host));
        case 'AAAA':
          return NameAnswer.parse(await resolver.resolve6(host));
        case 'CNAME':
          return NameAnswer.parse(await resolver.resolveCname(host)).map(canonicalName);
        default:
          return SrvAnswer.parse(await resolver.resolveSrv(host)).map((r) => ({ ...r, name: canonicalName(r.name) }));
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // c-ares' own timeout backs off per server; this one bounds the whole query.
      timer = setTimeout(() => {
        resolver.cancel();
        reject(Object.assign(new Error('timed out'), { code: 'ETIMEOUT' }));
      }, this.dnsTimeoutMs + 250);
    });
    try {
      const value = (await Promise.race([query(), deadline])) as DnsAnswers[T];
      return { ok: true, value, ms: Date.now() - started };
    } catch (err) {
      return { ok: false, error: dnsError(err, host, rrtype, this.dnsTimeoutMs), ms: Date.now() - started };
    } finally {
      clearTimeout(timer);
    }
  }

  probeTcp(host: string, port: number, timeoutMs: number): Promise<NetResult<{ address: string }>> {
    const started = Date.now();
    return new Promise((resolve) => {
      const socket = net.connect({ host, port });
      const done = (r: { ok: true; address: string } | { ok: false; error: NetError }): void => {
        clearTimeout(timer);
        socket.destroy();
        const ms = Date.now() - started;
        resolve(r.ok ? { ok: true, value: { address: r.address }, ms } : { ok: false, error: r.error, ms });
      };
      const timer = setTimeout(() => done({ ok: false, error: netError('timeout', `no answer from ${host}:${port} within ${timeoutMs} ms`) }), timeoutMs);
      socket.once('connect', () => done({ ok: true, address: socket.remoteAddress ?? host }));
      socket.once('error', (err) => done({ ok: false, error: socketError(err, host, port) }));
    });
  }

  async tlsHandshake(options: TlsOptions): Promise<NetResult<TlsHandshake>> {
    const started = Date.now();
    const r = await openTls(options, options.timeoutMs, ALERT_GRACE_MS);
    if (!r.ok) return { ok: false, error: r.error, ms: Date.now() - started };
    r.socket.destroy();
    return { ok: true, value: r.handshake, ms: Date.now() - started };
  }

  async sipOptions(request: SipOptionsRequest): Promise<NetResult<SipOptionsResult> & { partial?: { handshake?: TlsHandshake } }> {
    const started = Date.now();
    const deadline = started + request.timeoutMs;
    let socket: net.Socket;
    let handshake: TlsHandshake | undefined;
    if (request.transport === 'tls') {
      const r = await openTls({ ...request.tls, servername: request.tls?.servername ?? request.target, host: request.host, port: request.port, timeoutMs: request.timeoutMs }, request.timeoutMs, 0);
      if (!r.ok) return { ok: false, error: r.error, ms: Date.now() - started };
      socket = r.socket;
      handshake = r.handshake;
    } else {
      const r = await connectTcp(request.host, request.port, request.timeoutMs);
      if (!r.ok) return { ok: false, error: r.error, ms: Date.now() - started };
      socket = r.socket;
    }
    const sent = Date.now();
    const result = await exchangeOptions(socket, request, Math.max(1, deadline - sent));
    socket.destroy();
    const ms = Date.now() - started;
    if (!result.ok) return { ok: false, error: result.error, ms, partial: handshake ? { handshake } : {} };
    const response = { ...result.response, latencyMs: Date.now() - sent };
    return { ok: true, value: handshake ? { handshake, response } : { response }, ms };
  }
}

function dnsError(err: unknown, host: string, rrtype: RrType, timeoutMs: number): NetError {
  const code = (err as { code?: string }).code ?? '';
  switch (code) {
    case 'ENOTFOUND':
      return netError('nxdomain', `${host} does not exist (NXDOMAIN)`);
    case 'ENODATA':
      return netError('nodata', `${host} exists but has no ${rrtype} record`);
    case 'ETIMEOUT':
    case 'ECANCELLED':
      return netError('timeout', `the DNS server did not answer for ${host} ${rrtype} within ${timeoutMs} ms`);
    case 'ECONNREFUSED':
      return netError('servfail', `the DNS server refused the connection for ${host} ${rrtype}`);
    case 'ESERVFAIL':
      return netError('servfail', `the DNS server failed to answer for ${host} ${rrtype} (SERVFAIL)`);
    case 'EREFUSED':
      return netError('servfail', `the DNS server refused to answer for ${host} ${rrtype} (REFUSED)`);
    default:
      return netError('servfail', `DNS lookup of ${host} ${rrtype} failed: ${code || (err as Error).message}`);
  }
}

function socketError(err: Error, host: string, port: number): NetError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ECONNREFUSED') return netError('refused', `${host}:${port} refused the connection (nothing listens, or a firewall rejects)`);
  if (code === 'ETIMEDOUT') return netError('timeout', `no answer from ${host}:${port}`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return netError('unreachable', `${host} has no address`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return netError('unreachable', `no route to ${host}`);
  if (code === 'ECONNRESET' || code === 'EPIPE') return netError('protocol-error', `${host}:${port} closed the connection`);
  return netError('unreachable', `${host}:${port}: ${code || err.message}`);
}

function connectTcp(host: string, port: number, timeoutMs: number): Promise<{ ok: true; socket: net.Socket } | { ok: false; error: NetError }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: netError('timeout', `no answer from ${host}:${port} within ${timeoutMs} ms`) });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ ok: true, socket });
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: false, error: socketError(err, host, port) });
    });
  });
}

/** The peer's chain as sent (leaf first), by walking issuerCertificate until it repeats. */
function peerChain(socket: tls.TLSSocket): string[] {
  const chain: string[] = [];
  const seen = new Set<string>();
  let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(new X509Certificate(cert.raw).toString());
    cert = cert.issuerCertificate;
  }
  return chain;
}

function tlsReason(err: Error): string {
  const e = err as Error & { code?: string; reason?: string };
  // OpenSSL errors carry "reason"; a peer's alert reads like "tlsv13 alert certificate required".
  return e.reason ?? e.code ?? e.message;
}

/** `graceMs`: how long to wait for a TLS 1.3 alert after the handshake; 0 when a read follows anyway. */
function openTls(options: TlsOptions, timeoutMs: number, graceMs: number): Promise<{ ok: true; socket: tls.TLSSocket; handshake: TlsHandshake } | { ok: false; error: NetError }> {
  const { host, port } = options;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: { ok: true; socket: tls.TLSSocket; handshake: TlsHandshake } | { ok: false; error: NetError }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      if (!r.ok) socket.destroy();
      else socket.removeAllListeners('error').on('error', () => undefined);
      resolve(r);
    };
    let grace: NodeJS.Timeout | undefined;
    const socket = tls.connect({
      host,
      port,
      servername: net.isIP(options.servername) ? undefined : options.servername,
      // Verification is reported, not enforced: the admin needs to see the certificate that is wrong.
      rejectUnauthorized: false,
      ...(options.ca?.length ? { ca: options.ca } : {}),
      ...(options.clientCert ? { cert: options.clientCert.certPem, key: options.clientCert.keyPem } : {}),
    });
    const timer = setTimeout(() => finish({ ok: false, error: netError('timeout', `no TLS handshake with ${host}:${port} within ${timeoutMs} ms`) }), timeoutMs);
    let tcpConnected = false;
    socket.once('connect', () => {
      tcpConnected = true;
    });
    socket.once('secureConnect', () => {
      const cipher = socket.getCipher();
      const handshake: TlsHandshake = {
        protocol: socket.getProtocol() ?? 'unknown',
        cipher: cipher.standardName ?? cipher.name,
        chain: peerChain(socket),
        authorized: socket.authorized,
        ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
        clientCertSent: options.clientCert !== undefined,
      };
      if (handshake.protocol !== 'TLSv1.3' || graceMs === 0) return finish({ ok: true, socket, handshake });
      // TLS 1.3: the server checks our certificate after our Finished; give its alert a moment to arrive.
      grace = setTimeout(() => finish({ ok: true, socket, handshake }), Math.min(graceMs, timeoutMs));
      socket.once('data', (chunk: Buffer) => {
        socket.pause();
        socket.unshift(chunk);
        finish({ ok: true, socket, handshake });
      });
    });
    socket.once('error', (err) => {
      if (!tcpConnected) return finish({ ok: false, error: socketError(err, host, port) });
      const reason = tlsReason(err);
      finish({ ok: false, error: netError('tls-error', `TLS with ${host}:${port} failed: ${reason}`, reason) });
    });
    socket.once('close', () => {
      if (!settled) finish({ ok: false, error: netError('tls-error', `${host}:${port} closed the connection during the TLS handshake`, 'connection closed') });
    });
  });
}

function exchangeOptions(socket: net.Socket, request: SipOptionsRequest, timeoutMs: number): Promise<{ ok: true; response: Omit<SipOptionsResult['response'], 'latencyMs'> } | { ok: false; error: NetError }> {
  return new Promise((resolve) => {
    const msg = buildOptions({ target: request.target, port: request.port, transport: request.transport, localAddress: socket.localAddress ?? '127.0.0.1', localPort: socket.localPort ?? 0 });
    let buffer = '';
    const done = (r: { ok: true; response: Omit<SipOptionsResult['response'], 'latencyMs'> } | { ok: false; error: NetError }): void => {
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      socket.on('error', () => undefined);
      resolve(r);
    };
    const timer = setTimeout(() => done({ ok: false, error: netError('timeout', `no SIP response to OPTIONS from ${request.host}:${request.port} within ${timeoutMs} ms`) }), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      try {
        const { messages, rest } = takeResponses(buffer);
        buffer = rest;
        for (const m of messages) {
          if (m.headers.get('call-id') !== msg.callId || m.code < 200) continue; // provisional, or not ours
          const server = m.headers.get('server') ?? m.headers.get('user-agent');
          const allow = m.headers.get('allow');
          return done({ ok: true, response: { statusLine: m.statusLine, code: m.code, reason: m.reason, ...(server ? { server } : {}), ...(allow ? { allow } : {}) } });
        }
      } catch (err) {
        done({ ok: false, error: netError('protocol-error', `${request.host}:${request.port} answered OPTIONS with something that is not SIP: ${(err as Error).message}`) });
      }
    });
    socket.on('error', (err) => {
      const reason = tlsReason(err);
      const kind = /alert|ssl|tls/i.test(reason) ? 'tls-error' : 'protocol-error';
      done({ ok: false, error: netError(kind, `the connection to ${request.host}:${request.port} failed during OPTIONS: ${reason}`, kind === 'tls-error' ? reason : undefined) });
    });
    socket.on('close', () => done({ ok: false, error: netError('protocol-error', `${request.host}:${request.port} closed the connection without answering OPTIONS`) }));
    socket.resume();
    socket.write(msg.text);
  });
}
