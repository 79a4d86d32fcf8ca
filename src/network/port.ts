/**
 * The network port: the one way Switchboard looks at the network (DNS, TCP, TLS, SIP). Backends: the real
 * network (real.ts: Node's resolver, net and tls) and the simulated demo network (sim.ts). Every method
 * resolves with data, never rejects for a network condition: a closed port or a missing record is an
 * answer the checks report, not an exception.
 */

export type RrType = 'A' | 'AAAA' | 'SRV' | 'CNAME';

export interface SrvRecord {
  /** The target host, lower case, no trailing dot. */
  name: string;
  port: number;
  priority: number;
  weight: number;
}

export interface DnsAnswers {
  A: string[];
  AAAA: string[];
  CNAME: string[];
  SRV: SrvRecord[];
}

export type NetErrorKind =
  /** no answer within the time allowed */
  | 'timeout'
  /** the peer answered with a reset: nothing listens there */
  | 'refused'
  /** no route to the host, or the host name has no address */
  | 'unreachable'
  /** the name does not exist (DNS NXDOMAIN) */
  | 'nxdomain'
  /** the name exists but has no record of that type */
  | 'nodata'
  /** the DNS server failed or refused to answer */
  | 'servfail'
  /** the TLS handshake failed; `reason` carries OpenSSL's or the peer's alert */
  | 'tls-error'
  /** the peer answered something that is not what the protocol says */
  | 'protocol-error';

export interface NetError {
  kind: NetErrorKind;
  /** One line, for the admin. */
  message: string;
  /** tls-error: the alert or verification reason, e.g. "tlsv13 alert certificate required". */
  reason?: string;
}

/** Every call says how long it took, success or not. */
export type NetResult<T> = { ok: true; value: T; ms: number } | { ok: false; error: NetError; ms: number };

export interface ClientCertificate {
  /** The certificate the bot presents for MTLS, PEM, optionally followed by its intermediates. */
  certPem: string;
  keyPem: string;
}

export interface TlsOptions {
  host: string;
  port: number;
  /** SNI and the name the certificate is checked against. */
  servername: string;
  clientCert?: ClientCertificate;
  /** Root certificates (PEM) the peer's chain is verified against; the handshake completes either way. */
  ca?: string[];
  timeoutMs: number;
}

export interface TlsHandshake {
  /** e.g. "TLSv1.3" */
  protocol: string;
  cipher: string;
  /** The peer's chain as received, leaf first, PEM. */
  chain: string[];
  /** Whether the chain verified against `ca` (or the system roots without it), and why not. */
  authorized: boolean;
  authorizationError?: string;
  /** Whether the bot presented a client certificate. */
  clientCertSent: boolean;
}

export interface SipOptionsRequest {
  host: string;
  port: number;
  transport: 'tcp' | 'tls';
  /** For transport tls: the handshake options (host, port and timeout come from the request). */
  tls?: Omit<TlsOptions, 'host' | 'port' | 'timeoutMs'>;
  /** The Request-URI host, usually the gateway FQDN. */
  target: string;
  /** Covers connect, handshake and the final response. */
  timeoutMs: number;
}

export interface SipResponse {
  /** e.g. "SIP/2.0 200 OK" */
  statusLine: string;
  code: number;
  reason: string;
  /** From sending OPTIONS to the final response (handshake excluded). */
  latencyMs: number;
  server?: string;
  allow?: string;
}

export interface SipOptionsResult {
  /** The TLS handshake of the connection the OPTIONS went over (transport tls). */
  handshake?: TlsHandshake;
  response: SipResponse;
}

export interface SipOptionsFailure {
  /** Present when the handshake succeeded and SIP then failed. */
  handshake?: TlsHandshake;
}

export interface NetworkPort {
  readonly backend: 'real' | 'sim';
  resolve<T extends RrType>(name: string, rrtype: T): Promise<NetResult<DnsAnswers[T]>>;
  /** Connects and closes; `value.address` is the address connected to. */
  probeTcp(host: string, port: number, timeoutMs: number): Promise<NetResult<{ address: string }>>;
  tlsHandshake(options: TlsOptions): Promise<NetResult<TlsHandshake>>;
  /** SIP OPTIONS over one connection (TLS when asked): the handshake and the final response. */
  sipOptions(request: SipOptionsRequest): Promise<NetResult<SipOptionsResult> & { partial?: SipOptionsFailure }>;
}

export function netError(kind: NetErrorKind, message: string, reason?: string): NetError {
  return reason === undefined ? { kind, message } : { kind, message, reason };
}

/** Lower case without the trailing dot, as records are compared. */
export function canonicalName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}
