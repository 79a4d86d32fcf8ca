/**
 * A small Microsoft Graph v1.0 client for what Switchboard does through Graph (../shared/reference/graph-teams-phone.md):
 * an app-only token by the client-credentials grant, cached until shortly before it expires; JSON requests with
 * 429/503 answered by waiting Retry-After (a throttled request was not processed, so asking again is safe); errors
 * read from Graph's `{ error: { code, message } }` shape into TenantErrors. Every response is parsed with zod where it
 * enters. The base and login URLs are configuration so a local stand-in can take Microsoft's place in tests.
 */
import { z } from 'zod';
import { oneLine } from '../../errors';
import { TenantError } from '../port';

export interface GraphClientOptions {
  /** e.g. https://graph.microsoft.com/v1.0 */
  baseUrl: string;
  /** e.g. https://login.microsoftonline.com */
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** How many times a throttled request is sent in all. */
  attempts?: number;
  /** Longest single wait for Retry-After, ms. */
  maxRetryAfterMs?: number;
  /** One HTTP exchange's limit, ms. */
  requestTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const TokenAnswer = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive(), token_type: z.string() });
const TokenError = z.object({ error: z.string(), error_description: z.string().optional() });
const GraphErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export interface GraphResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** The scope of every app-only Graph token, whichever host serves Graph (a stand-in in tests). */
const graphScope = 'https://graph.microsoft.com/.default';

export class GraphClient {
  private token: { value: string; until: number } | undefined;
  private readonly options: Required<Omit<GraphClientOptions, 'sleep'>> & { sleep: (ms: number) => Promise<void> };
  readonly origin: string;

  constructor(options: GraphClientOptions) {
    this.options = {
      attempts: 4, maxRetryAfterMs: 60_000, requestTimeoutMs: 30_000,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
      loginUrl: options.loginUrl.replace(/\/+$/, ''),
    };
    this.origin = new URL(this.options.baseUrl).origin;
  }

  /** A token for Graph, fetched when there is none or it ends within a minute. */
  async accessToken(): Promise<string> {
    if (this.token && this.token.until > Date.now() + 60_000) return this.token.value;
    const url = `${this.options.loginUrl}/${encodeURIComponent(this.options.tenantId)}/oauth2/v2.0/token`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: this.options.clientId, client_secret: this.options.clientSecret, scope: graphScope, grant_type: 'client_credentials' }),
        // The secret goes to this URL and nowhere a redirect points.
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
    } catch (err) {
      throw new TenantError('transient', oneLine(`Could not reach Microsoft Entra for a Graph token (${url}): ${(err as Error).message}`));
    }
    const body: unknown = await response.json().catch(() => undefined);
    const ok = TokenAnswer.safeParse(body);
    if (response.ok && ok.success) {
      this.token = { value: ok.data.access_token, until: Date.now() + ok.data.expires_in * 1000 };
      return ok.data.access_token;
    }
    const refused = TokenError.safeParse(body);
    const detail = refused.success ? `${refused.data.error}${refused.data.error_description ? `: ${refused.data.error_description}` : ''}` : `HTTP ${response.status}`;
    throw new TenantError(response.status >= 500 ? 'transient' : 'cmdlet-error', oneLine(`Microsoft Entra refused Switchboard's Graph credentials (${detail}).`, 300));
  }

  /**
   * One Graph request, with throttling waited out. `path` is relative to the base URL, or an absolute URL on the same
   * origin (an operation's Location); anything else is refused, so a response can never send the token elsewhere.
   */
  async request(method: 'GET' | 'POST', path: string, body?: unknown, options: { deadline?: number } = {}): Promise<GraphResponse> {
    const url = path.startsWith('/') ? `${this.options.baseUrl}${path}` : path;
    if (new URL(url).origin !== this.origin) throw new TenantError('cmdlet-error', `Graph pointed Switchboard at ${new URL(url).origin}, not ${this.origin}; not followed.`);
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: { Authorization: `Bearer ${await this.accessToken()}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          // The token goes to the Graph origin only, whatever a redirect says.
          redirect: 'error',
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
      } catch (err) {
        if (err instanceof TenantError) throw err;
        // Sent or not, nobody knows: the caller reads back before anything else.
        throw new TenantError('timeout', oneLine(`${method} ${pathOf(url)} got no answer from Microsoft Graph (${(err as Error).message}); whether it took effect is unknown.`));
      }
      const parsed: unknown = response.status === 204 ? null : await response.json().catch(() => null);
      // 429 says the request was not taken; a 503 proves that only for a read, so a POST is never sent twice on one.
      const throttled = response.status === 429 || (response.status === 503 && method === 'GET');
      if (throttled && attempt < this.options.attempts) {
        const header = response.headers.get('retry-after');
        const wait = retryAfterMs(header, attempt);
        // Graph's wait is honoured, never shortened: past the caller's limit (or the longest wait we allow) the
        // call ends here. A throttled request was not taken: a POST changed nothing, and a GET of an operation
        // leaves that operation's outcome to the read-back.
        if (wait > this.options.maxRetryAfterMs || (options.deadline !== undefined && Date.now() + wait > options.deadline)) {
          const what = method === 'POST' ? 'nothing was changed, try again later' : 'the outcome is unknown until the read-back';
          throw new TenantError(method === 'POST' ? 'transient' : 'timeout', `Microsoft Graph is throttling ${method} ${pathOf(url)} (Retry-After ${header ?? 'not given'}, past this step's limit); ${what}.`);
        }
        await this.options.sleep(wait);
        continue;
      }
      if (response.ok) return { status: response.status, headers: response.headers, body: parsed };
      const error = GraphErrorBody.safeParse(parsed);
      const message = oneLine(`Microsoft Graph answered ${response.status} to ${method} ${pathOf(url)}${error.success ? `: ${error.data.error.code}: ${error.data.error.message}` : ''}`, 400);
      // A POST that failed on Graph's side may still have been carried out: unknown, for the read-back to settle.
      if (method === 'POST' && response.status >= 500) throw new TenantError('timeout', `${message}; whether it took effect is unknown.`);
      throw new TenantError(kindOf(response.status), message);
    }
  }
}

function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

function kindOf(status: number) {
  if (status === 404) return 'not-found' as const;
  if (status === 400) return 'invalid-parameter' as const;
  if (status === 429 || status >= 500) return 'transient' as const;
  return 'cmdlet-error' as const;
}

/** Retry-After in seconds (or an HTTP date), else a short backoff, ms. */
export function retryAfterMs(header: string | null, attempt: number): number {
  const ms = header !== null && /^\d+$/.test(header.trim()) ? Number(header.trim()) * 1000 : header ? Date.parse(header) - Date.now() : NaN;
  return Number.isFinite(ms) && ms >= 0 ? ms : 500 * 2 ** (attempt - 1);
}
