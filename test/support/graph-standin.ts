/**
 * A local stand-in for Microsoft Entra's token endpoint and the Graph v1.0 number assignment API, in the shapes
 * ../shared/reference/graph-teams-phone.md documents, on 127.0.0.1. It carries assignNumber out on a simulated
 * tenant (as Set-CsPhoneNumberAssignment), so what Graph assigned is what the tenant reads back.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimulatedTenant } from '../../src/tenant/sim/simulated-tenant';
import { TenantError } from '../../src/tenant/port';

export interface GraphStandInOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Answer this many assignNumber calls 429 before taking one. */
  throttleAssigns?: number;
  /** The Retry-After those 429s carry, seconds (default 0). */
  retryAfterSeconds?: number;
  /** Polls an operation answers "running" before it finishes. */
  runningPolls?: number;
  /** Answer assignNumber with this status (and a Graph error body) instead of taking it. */
  assignStatus?: number;
  /** Answer this many polls of an operation 500 before answering them. */
  failedPolls?: number;
  /** Answer assignNumber with a redirect to this URL. */
  redirectAssignTo?: string;
  /** Keep every operation running until releaseOperations() (or forgetOperations()). */
  holdOperations?: boolean;
}

type Operation = { id: string; status: 'running' | 'succeeded' | 'failed'; numbers: { resourceLocation: string; status: string; statusDetail: string | null }[] };

export class GraphStandIn {
  private server!: http.Server;
  url = '';
  readonly requests: { method: string; path: string; body: unknown; authorization?: string }[] = [];
  private readonly tokens = new Set<string>();
  private readonly operations = new Map<string, { op: Operation; polls: number; settle: () => void }>();
  private throttled = 0;
  private failedPollsLeft: number | undefined;

  private held: boolean;

  /** `tenant` is where operations land; a test that restarts the bot on the same data points it at the new one. */
  constructor(public tenant: SimulatedTenant, private readonly options: GraphStandInOptions) {
    this.held = options.holdOperations ?? false;
  }

  /** Lets held operations finish at their next poll. */
  releaseOperations(): void {
    this.held = false;
  }

  /** Drops every operation, as Graph does once it no longer keeps one: its polls answer 404. */
  forgetOperations(): void {
    this.operations.clear();
  }

  get graphUrl(): string {
    return `${this.url}/v1.0`;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const graphError = (status: number, code: string, message: string, headers: Record<string, string> = {}) => json(status, { error: { code, message } }, headers);
    let body: unknown = text;
    if (req.headers['content-type']?.startsWith('application/json')) body = text ? JSON.parse(text) : undefined;
    this.requests.push({ method: req.method ?? '', path: url.pathname, body, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });

    if (req.method === 'POST' && url.pathname === `/${this.options.tenantId}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(text);
      if (form.get('grant_type') !== 'client_credentials' || form.get('scope') !== 'https://graph.microsoft.com/.default') return json(400, { error: 'invalid_request', error_description: 'AADSTS900144: The request body must contain the client_credentials grant and the Graph scope.' });
      if (form.get('client_id') !== this.options.clientId || form.get('client_secret') !== this.options.clientSecret) {
        return json(401, { error: 'invalid_client', error_description: "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID." });
      }
      const token = randomUUID();
      this.tokens.add(token);
      return json(200, { token_type: 'Bearer', expires_in: 3599, access_token: token });
    }
    if (!url.pathname.startsWith('/v1.0/')) return graphError(404, 'NotFound', `No route ${url.pathname}.`);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !this.tokens.has(bearer)) return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');

    const path = url.pathname.slice('/v1.0'.length);
    if (req.method === 'POST' && path === '/admin/teams/telephoneNumberManagement/numberAssignments/assignNumber') {
      if (this.throttled < (this.options.throttleAssigns ?? 0)) {
        this.throttled++;
        return graphError(429, 'TooManyRequests', 'Too many requests.', { 'Retry-After': String(this.options.retryAfterSeconds ?? 0) });
      }
      if (this.options.redirectAssignTo) {
        res.writeHead(307, { Location: this.options.redirectAssignTo });
        res.end();
        return;
      }
      if (this.options.assignStatus) return graphError(this.options.assignStatus, 'InternalServerError', 'Something went wrong.');
      const b = body as { telephoneNumber?: unknown; assignmentTargetId?: unknown; numberType?: unknown };
      const types = { directRouting: 'DirectRouting', callingPlan: 'CallingPlan', operatorConnect: 'OperatorConnect' } as const;
      if (typeof b?.telephoneNumber !== 'string' || typeof b.assignmentTargetId !== 'string' || typeof b.numberType !== 'string' || !(b.numberType in types)) {
        return graphError(400, 'BadRequest', 'telephoneNumber, assignmentTargetId and numberType (directRouting, callingPlan or operatorConnect) are required.');
      }
      const id = randomUUID();
      const op: Operation = { id, status: 'running', numbers: [{ resourceLocation: b.telephoneNumber, status: 'running', statusDetail: null }] };
      const settle = () => {
        try {
          // The stand-in's tenant carries it out the way the cmdlet would, so the read-back sees it.
          void this.tenant.run('Set-CsPhoneNumberAssignment', { Identity: b.assignmentTargetId as string, TelephoneNumber: b.telephoneNumber as string, NumberType: types[b.numberType as keyof typeof types] }).then(
            () => Object.assign(op, { status: 'succeeded', numbers: [{ ...op.numbers[0]!, status: 'succeeded' }] }),
            (err: unknown) => Object.assign(op, { status: 'failed', numbers: [{ ...op.numbers[0]!, status: 'failed', statusDetail: err instanceof TenantError ? err.message : String(err) }] }),
          );
        } catch (err) {
          Object.assign(op, { status: 'failed', numbers: [{ ...op.numbers[0]!, status: 'failed', statusDetail: String(err) }] });
        }
      };
      this.operations.set(id, { op, polls: 0, settle });
      return json(202, undefined, { Location: `${this.graphUrl}/admin/teams/telephoneNumberManagement/operations('${id}')` });
    }
    const opMatch = /^\/admin\/teams\/telephoneNumberManagement\/operations(?:\('([^']+)'\)|\/([^/]+))$/.exec(path);
    if (req.method === 'GET' && opMatch) {
      const entry = this.operations.get(opMatch[1] ?? opMatch[2] ?? '');
      if (!entry) return graphError(404, 'NotFound', 'Operation not found.');
      if (this.failedPollsLeft === undefined) this.failedPollsLeft = this.options.failedPolls ?? 0;
      if (this.failedPollsLeft > 0) {
        this.failedPollsLeft--;
        return graphError(500, 'InternalServerError', 'Something went wrong.');
      }
      entry.polls++;
      if (entry.op.status === 'running' && !this.held && entry.polls > (this.options.runningPolls ?? 1)) {
        entry.settle();
        await new Promise((r) => setImmediate(r));
      }
      return json(200, { ...entry.op, createdDateTime: new Date().toISOString() });
    }
    return graphError(404, 'NotFound', `No route ${req.method} ${path}.`);
  }
}
