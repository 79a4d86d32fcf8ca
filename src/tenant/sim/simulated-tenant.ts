/**
 * The simulated tenant: an in-process model of the CCE-era cmdlets' semantics (not canned replies).
 * It keeps state, persists it under DATA_DIR, resolves identities as the cmdlets do, and answers with
 * the property names of Get-CsOnlineUser. Errors carry the cmdlets' own wording.
 */
import fs from 'node:fs';
import path from 'node:path';
import { cmdlets, type CmdletName, type CmdletOutput, type CmdletParams, type OnlineUser } from '../cmdlets';
import { renderCall } from '../render';
import { TenantError, type CmdletRun, type RunOptions, type TenantDescription, type TenantPort } from '../port';
import { resolveIdentity } from './identity';
import { matchesFilter, parseFilter } from './filter';
import { SimTenantState, voiceRoutingPolicies, type SimUser } from './state';

export const telUriPattern = /^tel:\+[1-9]\d{6,14}(;ext=\d{1,10})?$/;

export interface SimulatedTenantOptions {
  /** The tenant to start from when nothing is persisted yet. */
  initial: SimTenantState;
  /** Where the state persists (file sim-tenant.json); in memory only when absent. */
  dataDir?: string;
}

type Handler<N extends CmdletName> = (params: CmdletParams<N>) => CmdletOutput<N>;

export class SimulatedTenant implements TenantPort {
  readonly backend = 'sim' as const;
  private state: SimTenantState;
  private readonly file: string | undefined;

  constructor(options: SimulatedTenantOptions) {
    this.file = options.dataDir ? path.join(options.dataDir, 'sim-tenant.json') : undefined;
    if (this.file && fs.existsSync(this.file)) {
      this.state = SimTenantState.parse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    } else {
      this.state = structuredClone(options.initial);
      this.persist();
    }
  }

  async describe(): Promise<TenantDescription> {
    return { backend: 'sim', moduleVersion: 'simulated tenant (Skype for Business Online cmdlets, CCE era)' };
  }

  async close(): Promise<void> {}

  /** A copy of the whole state, for tests and the demo. */
  snapshot(): SimTenantState {
    return structuredClone(this.state);
  }

  async run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, _options?: RunOptions): Promise<CmdletRun<N>> {
    const started = performance.now();
    const spec = cmdlets[cmdlet];
    const command = renderCall({ cmdlet, params });
    const record = (outcome: 'ok' | 'error', error?: string) => ({
      command, durationMs: performance.now() - started, session: 'sim', outcome, attempts: 1, ...(error ? { error } : {}),
    });
    if (!spec) throw new TenantError('not-allowed', `The term '${String(cmdlet)}' is not an allowed cmdlet.`, record('error'));
    const parsed = spec.params.safeParse(params);
    if (!parsed.success) {
      const message = `A parameter cannot be bound for ${cmdlet}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'parameters'}: ${i.message}`).join('; ')}`;
      throw new TenantError('invalid-parameter', message, record('error', message));
    }
    try {
      const handler = this.handlers[cmdlet] as unknown as Handler<N>;
      const output = handler(parsed.data as CmdletParams<N>);
      return { output, record: record('ok') };
    } catch (err) {
      if (err instanceof TenantError) throw new TenantError(err.kind, err.message, record('error', err.message));
      throw err;
    }
  }

  private persist(): void {
    if (!this.file) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, JSON.stringify(this.state));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, this.file);
  }

  private usersFor(identity: string, options: { many: boolean }): SimUser[] {
    const found = resolveIdentity(this.state.users, identity);
    if (found.length === 0) throw new TenantError('not-found', `Management object not found for identity "${identity}".`);
    if (!options.many && found.length > 1) {
      throw new TenantError('invalid-parameter', `The identity "${identity}" refers to ${found.length} users; specify one user.`);
    }
    return found;
  }

  private isHybrid(): boolean {
    return Boolean(this.state.hybrid.PeerDestination);
  }

  private view(u: SimUser): OnlineUser {
    return {
      Identity: u.Identity,
      UserPrincipalName: u.UserPrincipalName,
      SipAddress: u.SipAddress,
      DisplayName: u.DisplayName,
      Alias: u.Alias,
      AccountEnabled: u.AccountEnabled,
      EnterpriseVoiceEnabled: u.EnterpriseVoiceEnabled,
      HostedVoiceMail: u.HostedVoiceMail,
      // Skype for Business Online assigned HybridVoice to voice-enabled users of a tenant with hybrid connectivity.
      VoicePolicy: u.EnterpriseVoiceEnabled ? (this.isHybrid() ? 'HybridVoice' : 'BusinessVoice') : null,
      OnPremLineURI: u.OnPremLineURI,
      LineURI: u.OnPremLineURI,
      FeatureTypes: u.Licenses,
    };
  }

  private readonly handlers: { [N in CmdletName]: Handler<N> } = {
    'Get-CsOnlineUser': (p) => {
      let users = this.state.users;
      if (p.Identity !== undefined) users = this.usersFor(p.Identity, { many: true });
      if (p.Filter !== undefined) {
        let filter: ReturnType<typeof parseFilter>;
        try {
          filter = parseFilter(p.Filter);
        } catch (err) {
          throw new TenantError('invalid-parameter', (err as Error).message);
        }
        users = users.filter((u) => matchesFilter(filter, this.view(u) as Record<string, unknown>));
      }
      if (p.ResultSize !== undefined) users = users.slice(0, p.ResultSize);
      return users.map((u) => this.view(u));
    },
    'Set-CsUser': (p) => {
      const users = this.usersFor(p.Identity, { many: true });
      if (p.OnPremLineURI !== undefined && !telUriPattern.test(p.OnPremLineURI)) {
        throw new TenantError('invalid-parameter', `Cannot validate argument on parameter 'OnPremLineURI'. "${p.OnPremLineURI}" is not a valid E.164 tel URI such as tel:+14255551297.`);
      }
      for (const u of users) {
        if (p.EnterpriseVoiceEnabled === true && !u.Licenses.includes('PhoneSystem')) {
          throw new TenantError('cmdlet-error', `User "${u.UserPrincipalName}" is not licensed for Phone System. Assign an E5 licence or the Phone System add-on first.`);
        }
        if (p.OnPremLineURI !== undefined) {
          const holder = this.state.users.find((o) => o !== u && o.OnPremLineURI?.toLowerCase() === p.OnPremLineURI!.toLowerCase());
          if (holder) throw new TenantError('cmdlet-error', `The number ${p.OnPremLineURI} is already assigned to ${holder.UserPrincipalName}.`);
        }
      }
      if (p.OnPremLineURI !== undefined && users.length > 1) {
        throw new TenantError('invalid-parameter', `OnPremLineURI cannot be set on ${users.length} users at once.`);
      }
      for (const u of users) {
        if (p.EnterpriseVoiceEnabled !== undefined) u.EnterpriseVoiceEnabled = p.EnterpriseVoiceEnabled;
        if (p.HostedVoiceMail !== undefined) u.HostedVoiceMail = p.HostedVoiceMail;
        if (p.OnPremLineURI !== undefined) u.OnPremLineURI = p.OnPremLineURI;
      }
      this.persist();
      return null;
    },
    'Get-CsUserPstnSettings': (p) =>
      this.usersFor(p.Identity, { many: false }).map((u) => ({
        Identity: u.Identity,
        HybridPSTNSite: u.HybridPSTNSite,
        AllowInternationalCalls: u.AllowInternationalCalls,
      })),
    'Set-CsUserPstnSettings': (p) => {
      const [u] = this.usersFor(p.Identity, { many: false });
      if (p.HybridPSTNSite !== undefined && p.HybridPSTNSite !== null) {
        const site = this.state.sites.find((s) => s.Identity.toLowerCase() === p.HybridPSTNSite!.toLowerCase());
        if (!site) throw new TenantError('not-found', `Hybrid PSTN site "${p.HybridPSTNSite}" was not found.`);
        u!.HybridPSTNSite = site.Identity;
      } else if (p.HybridPSTNSite === null) {
        u!.HybridPSTNSite = null;
      }
      if (p.AllowInternationalCalls !== undefined) u!.AllowInternationalCalls = p.AllowInternationalCalls;
      this.persist();
      return null;
    },
    'Grant-CsVoiceRoutingPolicy': (p) => {
      const [u] = this.usersFor(p.Identity, { many: false });
      const policy = p.PolicyName === null ? null : voiceRoutingPolicies.find((v) => v.toLowerCase() === p.PolicyName!.toLowerCase());
      if (policy === undefined) throw new TenantError('not-found', `Cannot find VoiceRoutingPolicy "${p.PolicyName}".`);
      u!.VoiceRoutingPolicy = policy;
      u!.AllowInternationalCalls = policy !== 'InternationalCallsDisallowed';
      this.persist();
      return null;
    },
    'Get-CsTenantHybridConfiguration': () => [
      {
        Identity: 'Global',
        PeerDestination: this.state.hybrid.PeerDestination,
        UseOnPremDialPlan: this.state.hybrid.UseOnPremDialPlan,
        HybridPSTNSites: this.state.sites.map((s) => s.Identity),
      },
    ],
    'Get-CsHybridPSTNSite': (p) => {
      const sites = p.Identity === undefined ? this.state.sites : this.state.sites.filter((s) => s.Identity.toLowerCase() === p.Identity!.toLowerCase());
      if (p.Identity !== undefined && sites.length === 0) throw new TenantError('not-found', `Hybrid PSTN site "${p.Identity}" was not found.`);
      return sites.map((s) => ({ Identity: s.Identity, EdgeFqdn: s.EdgeFqdn }));
    },
  };
}
