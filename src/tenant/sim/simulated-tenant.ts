/**
 * The simulated tenant: an in-process model of the CCE-era cmdlets' semantics (not canned replies).
 * It keeps state, persists it under DATA_DIR, resolves identities as the cmdlets do, and answers with
 * the property names of Get-CsOnlineUser. Errors carry the cmdlets' own wording.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../../clock';
import { cmdletNames, cmdlets, type CmdletName, type CmdletOutput, type CmdletParams, type OnlineUser } from '../cmdlets';
import { renderCall } from '../render';
import { TenantError, type CmdletRun, type RunOptions, type TenantDescription, type TenantPort } from '../port';
import { resolveIdentity } from './identity';
import { matchesFilter, parseFilter } from './filter';
import { featuresOf, isSynced, mediationServerDepartment, SimTenantState, skusOf, voiceRoutingPolicies, type SimUser } from './state';

export const telUriPattern = /^tel:\+[1-9]\d{6,14}(;ext=\d{1,10})?$/;
/** A DNS name of at least two labels (ASCII letters, digits, hyphens; no trailing dot). */
export const fqdnPattern = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A new directory account, as an admin creates it in the Microsoft 365 admin center (test and demo hook). */
export interface NewDirectoryAccount {
  upn: string;
  displayName: string;
  /** SKU part numbers, e.g. ['ENTERPRISEPREMIUM']; an account with none never reaches Skype for Business Online. */
  licenses: readonly string[];
  /** How long until Skype for Business Online sees it (0: at once). */
  syncDelayMs: number;
}

export interface SimulatedTenantOptions {
  /** The tenant to start from when nothing is persisted yet. */
  initial: SimTenantState;
  /** Where the state persists (file sim-tenant.json); in memory only when absent. */
  dataDir?: string;
  /** What "now" is for directory sync; the system clock when absent. */
  clock?: Clock;
}

type Handler<N extends CmdletName> = (params: CmdletParams<N>) => CmdletOutput<N>;

export class SimulatedTenant implements TenantPort {
  readonly backend = 'sim' as const;
  private state: SimTenantState;
  private readonly file: string | undefined;
  private readonly clock: Clock;

  constructor(options: SimulatedTenantOptions) {
    this.clock = options.clock ?? systemClock;
    this.file = options.dataDir ? path.join(options.dataDir, 'sim-tenant.json') : undefined;
    if (this.file && fs.existsSync(this.file)) {
      this.state = SimTenantState.parse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
    } else {
      this.state = structuredClone(options.initial);
      this.persist();
    }
  }

  async describe(): Promise<TenantDescription> {
    return { backend: 'sim', moduleVersion: 'simulated tenant (Skype for Business Online cmdlets, CCE era)', availableCmdlets: cmdletNames };
  }

  /**
   * Test and demo hook (not a cmdlet): creates an Entra account at once, which Skype for Business Online sees only
   * `syncDelayMs` later, and only if it is licensed by then.
   */
  createDirectoryAccount(account: NewDirectoryAccount): SimUser {
    const upn = account.upn.trim();
    if (this.state.users.some((u) => u.UserPrincipalName.toLowerCase() === upn.toLowerCase())) {
      throw new Error(`Another object with the same value for property userPrincipalName already exists: ${upn}.`);
    }
    const skus = [...account.licenses];
    const created: SimUser = {
      Identity: randomUUID(),
      UserPrincipalName: upn,
      SipAddress: `sip:${upn}`,
      DisplayName: account.displayName,
      Alias: upn.split('@')[0] ?? upn,
      AccountEnabled: true,
      Licenses: featuresOf(skus),
      AssignedLicenses: skus,
      EnterpriseVoiceEnabled: false,
      HostedVoiceMail: false,
      OnPremLineURI: null,
      HybridPSTNSite: null,
      AllowInternationalCalls: true,
      VoiceRoutingPolicy: null,
      Department: null,
      ...(account.syncDelayMs > 0 ? { syncAt: new Date(this.clock.now().getTime() + account.syncDelayMs).toISOString() } : {}),
    };
    this.state.users.push(created);
    this.persist();
    return structuredClone(created);
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

  /** The accounts Skype for Business Online sees now. */
  private onlineUsers(): SimUser[] {
    const now = this.clock.now();
    return this.state.users.filter((u) => isSynced(u, now));
  }

  private usersFor(identity: string, options: { many: boolean }): SimUser[] {
    const found = resolveIdentity(this.onlineUsers(), identity);
    if (found.length === 0) throw new TenantError('not-found', `Management object not found for identity "${identity}".`);
    if (!options.many && found.length > 1) {
      throw new TenantError('invalid-parameter', `The identity "${identity}" refers to ${found.length} users; specify one user.`);
    }
    return found;
  }

  private isHybrid(): boolean {
    return Boolean(this.state.hybrid.PeerDestination);
  }

  /** Entra sees every account at once, by object id or UPN. */
  private directoryUser(userId: string): SimUser {
    const id = userId.trim().toLowerCase();
    const found = guidPattern.test(id)
      ? this.state.users.find((u) => u.Identity.toLowerCase() === id)
      : this.state.users.find((u) => u.UserPrincipalName.toLowerCase() === id);
    if (!found) throw new TenantError('not-found', `[Request_ResourceNotFound] : Resource '${userId}' does not exist or one of its queried reference-property objects are not present.`);
    return found;
  }

  /** Set-/Get-CsHybridMediationServer name the account by its display name, exactly one Skype for Business Online user. */
  private mediationServerAccount(identity: string): SimUser {
    const name = identity.trim().toLowerCase();
    const found = this.onlineUsers().filter((u) => u.DisplayName.toLowerCase() === name);
    if (found.length === 0) throw new TenantError('not-found', `Management object not found for identity "${identity}".`);
    if (found.length > 1) throw new TenantError('invalid-parameter', `The identity "${identity}" refers to ${found.length} users; specify one user.`);
    return found[0]!;
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
      // Skype for Business Online assigned HybridVoice to voice-enabled users with an on-premises number, or of a
      // tenant with hybrid connectivity; BusinessVoice otherwise.
      VoicePolicy: u.EnterpriseVoiceEnabled ? (this.isHybrid() || u.OnPremLineURI ? 'HybridVoice' : 'BusinessVoice') : null,
      OnPremLineURI: u.OnPremLineURI,
      LineURI: u.OnPremLineURI,
      FeatureTypes: u.Licenses,
      Department: u.Department ?? null,
    };
  }

  private readonly handlers: { [N in CmdletName]: Handler<N> } = {
    'Get-CsOnlineUser': (p) => {
      let users = this.onlineUsers();
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
      const number = p.OnPremLineURI;
      if (typeof number === 'string' && !telUriPattern.test(number)) {
        throw new TenantError('invalid-parameter', `Cannot validate argument on parameter 'OnPremLineURI'. "${p.OnPremLineURI}" is not a valid E.164 tel URI such as tel:+14255551297.`);
      }
      for (const u of users) {
        if (p.EnterpriseVoiceEnabled === true && !u.Licenses.includes('PhoneSystem')) {
          throw new TenantError('cmdlet-error', `User "${u.UserPrincipalName}" is not licensed for Phone System. Assign an E5 licence or the Phone System add-on first.`);
        }
        if (typeof number === 'string') {
          const holder = this.state.users.find((o) => o !== u && o.OnPremLineURI?.toLowerCase() === number.toLowerCase());
          if (holder) throw new TenantError('cmdlet-error', `The number ${number} is already assigned to ${holder.UserPrincipalName}.`);
        }
      }
      // One number on several users cannot be; clearing several at once can.
      if (typeof number === 'string' && users.length > 1) {
        throw new TenantError('invalid-parameter', `OnPremLineURI cannot be set on ${users.length} users at once.`);
      }
      for (const u of users) {
        if (p.EnterpriseVoiceEnabled !== undefined) u.EnterpriseVoiceEnabled = p.EnterpriseVoiceEnabled;
        if (p.HostedVoiceMail !== undefined) u.HostedVoiceMail = p.HostedVoiceMail;
        if (number !== undefined) u.OnPremLineURI = number;
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
    'Set-CsTenantHybridConfiguration': (p) => {
      if (p.PeerDestination !== undefined && !fqdnPattern.test(p.PeerDestination)) {
        throw new TenantError('invalid-parameter', `Cannot validate argument on parameter 'PeerDestination'. "${p.PeerDestination}" is not a valid fully qualified domain name.`);
      }
      if (p.PeerDestination !== undefined) this.state.hybrid.PeerDestination = p.PeerDestination;
      if (p.UseOnPremDialPlan !== undefined) this.state.hybrid.UseOnPremDialPlan = p.UseOnPremDialPlan;
      this.persist();
      return null;
    },
    'Get-CsTenantFederationConfiguration': () => [{ Identity: 'Global', SharedSipAddressSpace: this.state.federation.SharedSipAddressSpace }],
    'Set-CsTenantFederationConfiguration': (p) => {
      if (p.SharedSipAddressSpace !== undefined) this.state.federation.SharedSipAddressSpace = p.SharedSipAddressSpace;
      this.persist();
      return null;
    },
    'Get-CsOnlineSipDomain': (p) =>
      this.state.sipDomains
        .filter((d) => p.Domain === undefined || d.Name.toLowerCase() === p.Domain.trim().toLowerCase())
        .filter((d) => p.DomainStatus === undefined || d.Status === p.DomainStatus)
        .map((d) => ({ Name: d.Name, Status: d.Status })),
    'Get-CsHybridMediationServer': (p) => {
      const u = this.mediationServerAccount(p.Identity);
      const fqdn = u.MediationServerFqdn ?? null;
      return [{
        Identity: u.DisplayName,
        Fqdn: fqdn,
        AccessProxyExternalFqdn: u.AccessProxyExternalFqdn ?? null,
        SipAddress: fqdn ? `sip:${fqdn}@${u.UserPrincipalName.split('@')[1] ?? this.state.domain}` : null,
      }];
    },
    'Set-CsHybridMediationServer': (p) => {
      for (const [name, value] of [['Fqdn', p.Fqdn], ['AccessProxyExternalFqdn', p.AccessProxyExternalFqdn]] as const) {
        if (!fqdnPattern.test(value)) throw new TenantError('invalid-parameter', `Cannot validate argument on parameter '${name}'. "${value}" is not a valid fully qualified domain name.`);
      }
      const u = this.mediationServerAccount(p.Identity);
      if ((u.Department ?? '').toLowerCase() !== mediationServerDepartment.toLowerCase()) {
        throw new TenantError('cmdlet-error', `User "${u.UserPrincipalName}" is not a hybrid Mediation Server account: its Department must be "${mediationServerDepartment}" (set it with Set-MsolUser or Update-MgUser first).`);
      }
      u.MediationServerFqdn = p.Fqdn;
      u.AccessProxyExternalFqdn = p.AccessProxyExternalFqdn;
      this.persist();
      return null;
    },
    'Set-MsolUser': (p) => {
      const upn = p.UserPrincipalName.trim().toLowerCase();
      const u = this.state.users.find((o) => o.UserPrincipalName.toLowerCase() === upn);
      if (!u) throw new TenantError('not-found', `User Not Found. User: ${p.UserPrincipalName}.`);
      if (p.Department !== undefined) u.Department = p.Department;
      this.persist();
      return null;
    },
    'Update-MgUser': (p) => {
      const u = this.directoryUser(p.UserId);
      if (p.Department !== undefined) u.Department = p.Department;
      this.persist();
      return null;
    },
    'Get-MgUser': (p) => {
      const u = this.directoryUser(p.UserId);
      return [{
        Id: u.Identity,
        UserPrincipalName: u.UserPrincipalName,
        DisplayName: u.DisplayName,
        Department: u.Department ?? null,
        AssignedLicenses: skusOf(u),
        FeatureTypes: u.Licenses,
      }];
    },
    'Get-CsHybridPSTNSite': (p) => {
      const sites = p.Identity === undefined ? this.state.sites : this.state.sites.filter((s) => s.Identity.toLowerCase() === p.Identity!.toLowerCase());
      if (p.Identity !== undefined && sites.length === 0) throw new TenantError('not-found', `Hybrid PSTN site "${p.Identity}" was not found.`);
      return sites.map((s) => ({ Identity: s.Identity, EdgeFqdn: s.EdgeFqdn }));
    },
  };
}
