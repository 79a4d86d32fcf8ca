/**
 * Bot Framework channel authentication in front of CloudAdapter, so that it cannot be used against the bot:
 * every refusal is a one-line 401 (503 only when no signing key was ever obtained), nothing internal is
 * echoed, and no request waits on the OpenID endpoints longer than a fixed budget.
 *
 * The rules are the documented ones (bot-docs "Authenticate requests from the Bot Connector service"):
 * issuer https://api.botframework.com, audience = our app id, RS256/384/512 with a key from the channel's
 * OpenID metadata jwks_uri, 5 minutes of clock skew, the serviceUrl claim equal to the activity's
 * serviceUrl, and the key's endorsements naming the activity's channel. A `tid` claim, when present, must
 * name the activity's tenant.
 *
 * Keys are fetched with a deadline, cached, refreshed in the background before they age out, and shared by
 * concurrent requests (one fetch in flight). An unknown kid triggers at most one refresh per
 * `unknownKidRefreshMs`, so forged kids cannot make the bot hammer (or wait on) the endpoint.
 */
import { CallerIdConstants, StatusCodes, type Activity } from 'botbuilder';
import {
  AuthenticationConstants,
  AuthenticationError,
  BotFrameworkAuthentication,
  ClaimsIdentity,
  type AuthenticateRequestResult,
  type BotFrameworkClient,
  type ConnectorFactory,
  type UserTokenClient,
} from 'botframework-connector';
import http from 'node:http';
import https from 'node:https';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { z } from 'zod';

export const botFrameworkOpenIdMetadataUrl = 'https://login.botframework.com/v1/.well-known/openidconfiguration';
const botFrameworkIssuer = 'https://api.botframework.com';
const algorithms = ['RS256', 'RS384', 'RS512'];

export interface ChannelAuthOptions {
  appId: string;
  openIdMetadataUrl: string;
  /** The whole refresh (metadata, then keys) must finish within this, or it is abandoned. */
  fetchTimeoutMs?: number;
  /** Keys older than this are refreshed in the background (requests keep using the cached ones). */
  refreshAfterMs?: number;
  /** The least time between two refreshes caused by an unknown kid. */
  unknownKidRefreshMs?: number;
  clockToleranceS?: number;
  now?: () => number;
}

export type AuthOutcome =
  | { ok: true; claims: JWTPayload }
  | { ok: false; status: 401 | 503; reason: string };

/** What of the activity the token is checked against. */
export interface TokenContext {
  serviceUrl?: string;
  channelId?: string;
  tenantId?: string;
}

const Metadata = z.object({ jwks_uri: z.string().url() });
const Jwk = z.object({ kid: z.string(), kty: z.string(), endorsements: z.array(z.string()).optional() }).loose();
const Jwks = z.object({ keys: z.array(Jwk) });

interface KeySet {
  jwks: JSONWebKeySet;
  endorsements: Map<string, string[]>;
  fetchedAt: number;
}

export class OpenIdKeys {
  private current: KeySet | undefined;
  private inflight: Promise<KeySet | undefined> | undefined;
  private lastUnknownKidRefresh = -Infinity;
  private readonly fetchTimeoutMs: number;
  private readonly refreshAfterMs: number;
  private readonly unknownKidRefreshMs: number;
  private readonly now: () => number;
  /** Every refresh attempt (tests count them to prove single flight). */
  refreshes = 0;

  constructor(private readonly options: Pick<ChannelAuthOptions, 'openIdMetadataUrl' | 'fetchTimeoutMs' | 'refreshAfterMs' | 'unknownKidRefreshMs' | 'now'>) {
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 3000;
    this.refreshAfterMs = options.refreshAfterMs ?? 12 * 3600_000;
    this.unknownKidRefreshMs = options.unknownKidRefreshMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** The key set holding `kid`; 'unknown' when the (fresh enough) set lacks it; 'unavailable' when none was ever fetched. */
  async find(kid: string): Promise<KeySet | 'unknown' | 'unavailable'> {
    let set = this.current;
    if (!set) set = await this.refresh();
    if (!set) return 'unavailable';
    if (this.now() - set.fetchedAt > this.refreshAfterMs) void this.refresh();
    if (set.endorsements.has(kid)) return set;
    // Keys roll over: a new kid is worth one (shared, rate-limited) refresh; a flood of forged kids is not.
    if (this.now() - this.lastUnknownKidRefresh < this.unknownKidRefreshMs) return 'unknown';
    this.lastUnknownKidRefresh = this.now();
    const fresh = await this.refresh();
    return fresh?.endorsements.has(kid) ? fresh : 'unknown';
  }

  /** One refresh at a time; every caller shares it. Never rejects: a failure keeps the previous keys. */
  refresh(): Promise<KeySet | undefined> {
    this.inflight ??= this.fetchKeys()
      .then((set) => (this.current = set))
      .catch(() => this.current)
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchKeys(): Promise<KeySet> {
    this.refreshes++;
    // One deadline over both requests.
    const deadline = Date.now() + this.fetchTimeoutMs;
    const metadata = Metadata.parse(await getJson(this.options.openIdMetadataUrl, deadline));
    const jwks = Jwks.parse(await getJson(metadata.jwks_uri, deadline));
    const rsa = jwks.keys.filter((k) => k.kty === 'RSA');
    return {
      jwks: { keys: rsa as JSONWebKeySet['keys'] },
      endorsements: new Map(rsa.map((k) => [k.kid, k.endorsements ?? []])),
      fetchedAt: this.now(),
    };
  }
}

/**
 * GET a small JSON document by a deadline. node:http rather than fetch: an aborted fetch (undici) keeps its
 * socket open to an endpoint that never answers, and each would be one more socket an attacker holds open.
 * A fresh connection per refresh (agent: false) is closed when the answer is read or the deadline passes.
 */
function getJson(url: string, deadline: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
    const left = deadline - Date.now();
    if (!client) return reject(new Error(`unsupported URL ${url}`));
    if (left <= 0) return reject(new Error('deadline passed'));
    const req = client.get(target, { agent: false, headers: { accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        req.destroy();
        return reject(new Error(`${url} answered ${res.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 1024 * 1024) req.destroy(new Error('document too large'));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer from ${url} in time`)), left);
    req.on('error', reject);
    req.on('close', () => clearTimeout(timer));
  });
}

/** Validates the Authorization header of a channel request. Cheap claim checks run before any key is needed. */
export class ChannelAuthenticator {
  readonly keys: OpenIdKeys;
  private readonly clockToleranceS: number;
  private readonly now: () => number;

  constructor(private readonly options: ChannelAuthOptions) {
    this.keys = new OpenIdKeys(options);
    this.clockToleranceS = options.clockToleranceS ?? 300;
    this.now = options.now ?? Date.now;
  }

  async authenticate(authHeader: string | undefined, context: TokenContext): Promise<AuthOutcome> {
    const refuse = (reason: string): AuthOutcome => ({ ok: false, status: 401, reason });
    const match = /^Bearer ([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)$/.exec(authHeader ?? '');
    if (!match) return refuse(authHeader ? 'malformed Authorization header' : 'no Authorization header');
    const token = match[1]!;
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      return refuse('malformed token');
    }
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) return refuse(`algorithm ${String(header.alg)} not allowed`);
    if (typeof header.kid !== 'string' || header.kid === '') return refuse('token names no key');
    if (claims.iss !== botFrameworkIssuer) return refuse('wrong issuer');
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(this.options.appId)) return refuse('wrong audience');
    const nowS = this.now() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp < nowS - this.clockToleranceS) return refuse('expired');
    if (typeof claims.nbf === 'number' && claims.nbf > nowS + this.clockToleranceS) return refuse('not yet valid');
    if (typeof claims.serviceurl === 'string' || typeof claims.serviceUrl === 'string') {
      const claimed = (claims.serviceurl ?? claims.serviceUrl) as string;
      if (!context.serviceUrl || !sameServiceUrl(claimed, context.serviceUrl)) return refuse('serviceUrl claim does not match the activity');
    } else {
      // A channel token always binds the serviceUrl; without it a stolen token could redirect replies.
      return refuse('no serviceUrl claim');
    }
    if (typeof claims.tid === 'string' && context.tenantId !== undefined && claims.tid !== context.tenantId) return refuse('tenant does not match the activity');

    const found = await this.keys.find(header.kid);
    if (found === 'unavailable') return { ok: false, status: 503, reason: 'signing keys unavailable' };
    if (found === 'unknown') return refuse('unknown signing key');
    const endorsements = found.endorsements.get(header.kid) ?? [];
    if (endorsements.length > 0 && (!context.channelId || !endorsements.includes(context.channelId))) return refuse('key not endorsed for this channel');
    try {
      const verified = await jwtVerify(token, createLocalJWKSet(found.jwks), {
        algorithms, issuer: botFrameworkIssuer, audience: this.options.appId, clockTolerance: this.clockToleranceS, currentDate: new Date(this.now()),
      });
      return { ok: true, claims: verified.payload };
    } catch {
      return refuse('signature or claims invalid');
    }
  }
}

/** Service URLs compare without a trailing slash and without case in scheme and host. */
function sameServiceUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const url = new URL(u);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
    } catch {
      return u;
    }
  };
  return norm(a) === norm(b);
}

/**
 * The BotFrameworkAuthentication CloudAdapter is given when authentication is on: the token was already
 * verified by ChannelAuthenticator in front of the adapter, which vouches for exactly that activity object.
 * Anything not vouched for is refused, so the adapter can never act on an unchecked request.
 */
export class VerifiedChannelAuthentication extends BotFrameworkAuthentication {
  private readonly verified = new WeakMap<object, JWTPayload>();

  constructor(private readonly inner: BotFrameworkAuthentication) {
    super();
  }

  vouch(activity: object, claims: JWTPayload): void {
    this.verified.set(activity, claims);
  }

  override async authenticateRequest(activity: Activity): Promise<AuthenticateRequestResult> {
    const claims = this.verified.get(activity);
    if (!claims) throw new AuthenticationError('Unauthorized', StatusCodes.UNAUTHORIZED);
    const claimsIdentity = new ClaimsIdentity(
      Object.entries(claims).map(([type, value]) => ({ type, value: typeof value === 'string' ? value : JSON.stringify(value) })),
      true,
    );
    return {
      audience: AuthenticationConstants.ToChannelFromBotOAuthScope,
      callerId: CallerIdConstants.PublicAzureChannel,
      claimsIdentity,
      connectorFactory: this.inner.createConnectorFactory(claimsIdentity),
    };
  }

  override authenticateStreamingRequest(): Promise<AuthenticateRequestResult> {
    return Promise.reject(new AuthenticationError('Unauthorized', StatusCodes.UNAUTHORIZED));
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.inner.createConnectorFactory(claimsIdentity);
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return this.inner.createUserTokenClient(claimsIdentity);
  }

  override createBotFrameworkClient(): BotFrameworkClient {
    return this.inner.createBotFrameworkClient();
  }

  override getOriginatingAudience(): string {
    return this.inner.getOriginatingAudience();
  }
}
