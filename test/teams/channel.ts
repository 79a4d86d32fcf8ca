/**
 * The Bot Framework side of an authenticated test, all on 127.0.0.1: an OpenID metadata endpoint with signing
 * keys made by the test (which can be told to hang), a token minter, and outbound credentials that need no
 * login endpoint (so the bot's replies go to the local connector only).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import { ServiceClientCredentialsFactory, TokenCredentials, type ServiceClientCredentials } from 'botframework-connector';

export const appId = '55555555-5555-4555-8555-555555555555';
export const issuer = 'https://api.botframework.com';

export class OpenIdEndpoint {
  url = '';
  mode: 'answer' | 'hang' = 'answer';
  requests: string[] = [];
  private server!: http.Server;
  private readonly sockets = new Set<Socket>();
  private keys: { kid: string; publicJwk: Record<string, unknown>; endorsements: string[] }[] = [];

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.requests.push(req.url ?? '');
      if (this.mode === 'hang') return; // never answers; the socket stays open until the client gives up
      res.setHeader('content-type', 'application/json');
      if (req.url === '/v1/.well-known/openidconfiguration') {
        res.end(JSON.stringify({ issuer, jwks_uri: `${this.url}/v1/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
      } else if (req.url === '/v1/keys') {
        res.end(JSON.stringify({ keys: this.keys.map((k) => ({ ...k.publicJwk, kid: k.kid, use: 'sig', endorsements: k.endorsements })) }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get metadataUrl(): string {
    return `${this.url}/v1/.well-known/openidconfiguration`;
  }

  /** Sockets clients still hold open to this endpoint. */
  get openSockets(): number {
    return this.sockets.size;
  }

  async addKey(kid: string, endorsements = ['msteams']): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    this.keys.push({ kid, publicJwk: { ...(await exportJWK(publicKey)) }, endorsements });
    return { kid, privateKey };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface SigningKey {
  kid: string;
  privateKey: KeyLike;
}

/** A channel token; every claim and header can be overridden to make a forged one. */
export async function mintToken(key: SigningKey, serviceUrl: string, over: { claims?: JWTPayload; alg?: string; kid?: string; expiresIn?: string | number } = {}): Promise<string> {
  const jwt = new SignJWT({ serviceurl: serviceUrl, ...over.claims })
    .setProtectedHeader({ alg: over.alg ?? 'RS256', kid: over.kid ?? key.kid, typ: 'JWT' })
    .setIssuer((over.claims?.iss as string | undefined) ?? issuer)
    .setAudience((over.claims?.aud as string | undefined) ?? appId)
    .setIssuedAt()
    .setExpirationTime(over.expiresIn ?? '10m');
  return jwt.sign(key.privateKey);
}

/** Outbound calls signed with a fixed token: no MSAL, no login endpoint, no traffic beyond loopback. */
export class LocalCredentials extends ServiceClientCredentialsFactory {
  async isValidAppId(id: string): Promise<boolean> {
    return id === appId;
  }
  async isAuthenticationDisabled(): Promise<boolean> {
    return false;
  }
  async createCredentials(): Promise<ServiceClientCredentials> {
    return new TokenCredentials('local-outbound-token');
  }
}
