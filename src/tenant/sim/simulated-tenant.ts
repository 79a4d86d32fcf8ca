/**
 * The simulated tenant: an in-process model of the CCE-era cmdlets' semantics (not canned replies).
 * It keeps its state in SQLite under DATA_DIR (store.ts), resolves identities as the cmdlets do, and answers with
 * the property names of Get-CsOnlineUser. Errors carry the cmdlets' own wording.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { systemClock, type Clock } from '../../clock';
import { cmdletNames, cmdlets, type CmdletName, type CmdletOutput, type CmdletParams, type OnlinePstnGateway, type OnlineUser } from '../cmdlets';
import { renderCall } from '../render';
import { TenantError, type CmdletRun, type RunOptions, type TenantDescription, type TenantPort } from '../port';
import { guidPattern } from './identity';
import { matchesFilter, parseFilter } from './filter';
import { featuresOf, isSynced, mediationServerDepartment, newSimUser, SimTenantState, skusOf, voiceRoutingPolicies, type SimDirectRouting, type SimOnlineVoiceRoutingPolicy, type SimPstnGateway, type SimUser } from './state';
import { SimStore, type Row } from './store';

export const telUriPattern = /^tel:\+[1-9]\d{6,14}(;ext=\d{1,10})?$/;
/** A DNS name of at least two labels (ASCII letters, digits, hyphens; no trailing dot). */
export const fqdnPattern = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

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
  /** Where the state persists (sim-tenant.db); in memory only when absent. */
  dataDir?: string;
  /** What "now" is for directory sync; the system clock when absent. */
  clock?: Clock;
  /**
   * Also write the starting tenant as sim-tenant.json when the database is new, for the PowerShell stand-in
   * (tenant-stub/), which reads that file. Default true; off for big generated tenants nobody hands to pwsh.
   */
  writeSeed?: boolean;
}

type Handler<N extends CmdletName> = (params: CmdletParams<N>) => CmdletOutput<N>;

export class SimulatedTenant implements TenantPort {
  readonly backend = 'sim' as const;
  /** The database behind it (tests and benchmarks look at its query plans and row counts). */
  readonly store: SimStore;
  private readonly clock: Clock;

  constructor(options: SimulatedTenantOptions) {
    this.clock = options.clock ?? systemClock;
    const seed = options.dataDir ? path.join(options.dataDir, 'sim-tenant.json') : undefined;
    // A data directory from before the database holds sim-tenant.json: that is where its tenant continues.
    const { store, created } = SimStore.open(options.dataDir, () =>
      seed && fs.existsSync(seed) ? SimTenantState.parse(JSON.parse(fs.readFileSync(seed, 'utf8'))) : options.initial);
    this.store = store;
    if (created && seed && options.writeSeed !== false && !fs.existsSync(seed)) writeFileAtomically(seed, JSON.stringify(options.initial));
  }

  async describe(): Promise<TenantDescription> {
    return { backend: 'sim', moduleVersion: 'simulated tenant (Skype for Business Online cmdlets, CCE era)', availableCmdlets: cmdletNames };
  }

  async close(): Promise<void> {
    this.store.close();
  }

  /** A copy of the whole state, for tests and the demo (reads every row). */
  snapshot(): SimTenantState {
    return this.store.snapshot();
  }

  /**
   * Test and demo hook (not a cmdlet): creates an Entra account at once, which Skype for Business Online sees only
   * `syncDelayMs` later, and only if it is licensed by then.
   */
  createDirectoryAccount(account: NewDirectoryAccount): SimUser {
    const upn = account.upn.trim();
    const skus = [...account.licenses];
    const created: SimUser = {
      ...newSimUser({ Identity: randomUUID(), UserPrincipalName: upn, DisplayName: account.displayName, Alias: upn.split('@')[0] ?? upn, Licenses: featuresOf(skus), AssignedLicenses: skus }),
      ...(account.syncDelayMs > 0 ? { syncAt: new Date(this.clock.now().getTime() + account.syncDelayMs).toISOString() } : {}),
    };
    this.store.transaction(() => {
      if (this.store.byUpn(upn.toLowerCase()).length > 0) {
        throw new Error(`Another object with the same value for property userPrincipalName already exists: ${upn}.`);
      }
      this.store.insert(created);
    });
    return structuredClone(created);
  }

  async run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, _options?: RunOptions): Promise<CmdletRun<N>> {
    const started = performance.now();
    const spec = cmdlets[cmdlet];
    const command = renderCall({ cmdlet, params });
    const record = (outcome: 'ok' | 'error', error?: string) => ({
      command, durationMs: performance.now() - started, session: 'sim', outcome, attempts: 1, ...(error ? { error } : {}),
    });
    if (!spec) throw new TenantError('not-allowed', `The term '${String(cmdlet)}' is not an allowed cmdlet.`, record('error'));
    // A turn that arrives while the bot shuts down gets a refusal, not the driver's TypeError.
    if (!this.store.db.open) throw new TenantError('transient', 'The simulated tenant is closed (the bot is shutting down).', record('error'));
    const parsed = spec.params.safeParse(params);
    if (!parsed.success) {
      const message = `A parameter cannot be bound for ${cmdlet}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'parameters'}: ${i.message}`).join('; ')}`;
      throw new TenantError('invalid-parameter', message, record('error', message));
    }
    try {
      const handler = this.handlers[cmdlet] as unknown as Handler<N>;
      // One transaction per cmdlet: its checks and its writes see one state, and a refusal leaves nothing half done.
      const output = spec.effect === 'read' ? handler(parsed.data as CmdletParams<N>) : this.store.transaction(() => handler(parsed.data as CmdletParams<N>));
      return { output, record: record('ok') };
    } catch (err) {
      if (err instanceof TenantError) throw new TenantError(err.kind, err.message, record('error', err.message));
      throw err;
    }
  }

  private synced(rows: Row[]): Row[] {
    const now = this.clock.now();
    return rows.filter((r) => isSynced(r.user, now));
  }

  private usersFor(identity: string, options: { many: boolean }): Row[] {
    const found = this.synced(this.store.resolve(identity));
    if (found.length === 0) throw new TenantError('not-found', `Management object not found for identity "${identity}".`);
    if (!options.many && found.length > 1) {
      throw new TenantError('invalid-parameter', `The identity "${identity}" refers to ${found.length} users; specify one user.`);
    }
    return found;
  }

  /** Entra sees every account at once, by object id or UPN. */
  private directoryUser(userId: string): Row {
    const id = userId.trim().toLowerCase();
    const [found] = guidPattern.test(id) ? this.store.byIdentity(id) : this.store.byUpn(id);
    if (!found) throw new TenantError('not-found', `[Request_ResourceNotFound] : Resource '${userId}' does not exist or one of its queried reference-property objects are not present.`);
    return found;
  }

  /** Set-/Get-CsHybridMediationServer name the account by its display name, exactly one Skype for Business Online user. */
  private mediationServerAccount(identity: string): Row {
    const found = this.synced(this.store.byDisplayName(identity.trim().toLowerCase()));
    if (found.length === 0) throw new TenantError('not-found', `Management object not found for identity "${identity}".`);
    if (found.length > 1) throw new TenantError('invalid-parameter', `The identity "${identity}" refers to ${found.length} users; specify one user.`);
    return found[0]!;
  }

  private view(u: SimUser, hybrid: boolean): OnlineUser {
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
      VoicePolicy: u.EnterpriseVoiceEnabled ? (hybrid || u.OnPremLineURI ? 'HybridVoice' : 'BusinessVoice') : null,
      OnPremLineURI: u.OnPremLineURI,
      LineURI: u.OnPremLineURI,
      FeatureTypes: u.Licenses,
      Department: u.Department ?? null,
      VoiceRoutingPolicy: u.VoiceRoutingPolicy,
      OnlineVoiceRoutingPolicy: u.OnlineVoiceRoutingPolicy ?? null,
    };
  }

  private gatewayView(g: SimPstnGateway): OnlinePstnGateway {
    return { Identity: g.Fqdn, Fqdn: g.Fqdn, SipSignalingPort: g.SipSignalingPort, MaxConcurrentSessions: g.MaxConcurrentSessions, Enabled: g.Enabled };
  }

  /** A route or policy may only name a usage of the Global list (Set-CsOnlinePstnUsage adds them). */
  private pstnUsage(directRouting: SimDirectRouting, name: string): string {
    const found = directRouting.pstnUsages.find((u) => u.toLowerCase() === name.trim().toLowerCase());
    if (!found) throw new TenantError('not-found', `The PSTN usage "${name}" is not in the Global list: add it with Set-CsOnlinePstnUsage first.`);
    return found;
  }

  /** A policy named as Grant-* and Get-* take it: "Name" or "Tag:Name", any case; Global is the tenant default. */
  private voiceRoutingPolicy(name: string): SimOnlineVoiceRoutingPolicy | 'Global' | undefined {
    // Global is "Global", never "Tag:Global": only named policies carry the tag.
    if (name.trim().toLowerCase() === 'global') return 'Global';
    const wanted = name.trim().replace(/^tag:/i, '').toLowerCase();
    return this.store.directRouting().voiceRoutingPolicies.find((v) => v.Name.toLowerCase() === wanted);
  }

  private onlineUsers(p: CmdletParams<'Get-CsOnlineUser'>): OnlineUser[] {
    const hybrid = Boolean(this.store.hybrid().PeerDestination);
    const now = this.clock.now();
    const limit = p.ResultSize ?? Infinity;
    let filter: ReturnType<typeof parseFilter> | undefined;
    if (p.Filter !== undefined) {
      try {
        filter = parseFilter(p.Filter);
      } catch (err) {
        throw new TenantError('invalid-parameter', (err as Error).message);
      }
    }
    let source: Iterable<Row>;
    if (p.Identity !== undefined) source = this.usersFor(p.Identity, { many: true });
    else {
      const candidates = filter ? this.store.filterCandidates(filter) : 'all';
      source = candidates === 'all' ? this.store.scan() : this.store.decode(candidates);
    }
    const out: OnlineUser[] = [];
    if (limit <= 0) return out;
    for (const { user } of source) {
      if (!isSynced(user, now)) continue;
      const v = this.view(user, hybrid);
      if (filter && !matchesFilter(filter, v as Record<string, unknown>)) continue;
      out.push(v);
      if (out.length >= limit) break;
    }
    return out;
  }

  private readonly handlers: { [N in CmdletName]: Handler<N> } = {
    'Get-CsOnlineUser': (p) => this.onlineUsers(p),
    'Set-CsUser': (p) => {
      const rows = this.usersFor(p.Identity, { many: true });
      const number = p.OnPremLineURI;
      if (typeof number === 'string' && !telUriPattern.test(number)) {
        throw new TenantError('invalid-parameter', `Cannot validate argument on parameter 'OnPremLineURI'. "${number}" is not a valid E.164 tel URI such as tel:+14255551297.`);
      }
      const holders = typeof number === 'string' ? this.store.byLineUri(number) : [];
      for (const { pos, user: u } of rows) {
        if (p.EnterpriseVoiceEnabled === true && !u.Licenses.includes('PhoneSystem')) {
          throw new TenantError('cmdlet-error', `User "${u.UserPrincipalName}" is not licensed for Phone System. Assign an E5 licence or the Phone System add-on first.`);
        }
        const holder = holders.find((h) => h.pos !== pos);
        if (holder) throw new TenantError('cmdlet-error', `The number ${number} is already assigned to ${holder.user.UserPrincipalName}.`);
      }
      // One number on several users cannot be; clearing several at once can.
      if (typeof number === 'string' && rows.length > 1) {
        throw new TenantError('invalid-parameter', `OnPremLineURI cannot be set on ${rows.length} users at once.`);
      }
      for (const { user: u } of rows) {
        if (p.EnterpriseVoiceEnabled !== undefined) u.EnterpriseVoiceEnabled = p.EnterpriseVoiceEnabled;
        if (p.HostedVoiceMail !== undefined) u.HostedVoiceMail = p.HostedVoiceMail;
        // A number set or cleared this way is no longer one Set-CsPhoneNumberAssignment assigned.
        if (number !== undefined) {
          u.OnPremLineURI = number;
          u.NumberType = null;
        }
      }
      this.store.update(rows);
      return null;
    },
    'Get-CsUserPstnSettings': (p) =>
      this.usersFor(p.Identity, { many: false }).map(({ user: u }) => ({
        Identity: u.Identity,
        HybridPSTNSite: u.HybridPSTNSite,
        AllowInternationalCalls: u.AllowInternationalCalls,
      })),
    'Set-CsUserPstnSettings': (p) => {
      const [row] = this.usersFor(p.Identity, { many: false });
      const u = row!.user;
      if (p.HybridPSTNSite !== undefined && p.HybridPSTNSite !== null) {
        const site = this.store.site(p.HybridPSTNSite);
        if (!site) throw new TenantError('not-found', `Hybrid PSTN site "${p.HybridPSTNSite}" was not found.`);
        u.HybridPSTNSite = site.Identity;
      } else if (p.HybridPSTNSite === null) {
        u.HybridPSTNSite = null;
      }
      if (p.AllowInternationalCalls !== undefined) u.AllowInternationalCalls = p.AllowInternationalCalls;
      this.store.update([row!]);
      return null;
    },
    'Grant-CsVoiceRoutingPolicy': (p) => {
      const [row] = this.usersFor(p.Identity, { many: false });
      const policy = p.PolicyName === null ? null : voiceRoutingPolicies.find((v) => v.toLowerCase() === p.PolicyName!.toLowerCase());
      if (policy === undefined) throw new TenantError('not-found', `Cannot find VoiceRoutingPolicy "${p.PolicyName}".`);
      row!.user.VoiceRoutingPolicy = policy;
      row!.user.AllowInternationalCalls = policy !== 'InternationalCallsDisallowed';
      this.store.update([row!]);
      return null;
    },
    'Get-CsTenantHybridConfiguration': () => {
      const hybrid = this.store.hybrid();
      return [{ Identity: 'Global', PeerDestination: hybrid.PeerDestination, UseOnPremDialPlan: hybrid.UseOnPremDialPlan, HybridPSTNSites: this.store.sites().map((s) => s.Identity) }];
    },
    'Set-CsTenantHybridConfiguration': (p) => {
      if (p.PeerDestination !== undefined && !fqdnPattern.test(p.PeerDestination)) {
        throw new TenantError('invalid-parameter', `Cannot validate argument on parameter 'PeerDestination'. "${p.PeerDestination}" is not a valid fully qualified domain name.`);
      }
      const hybrid = this.store.hybrid();
      if (p.PeerDestination !== undefined) hybrid.PeerDestination = p.PeerDestination;
      if (p.UseOnPremDialPlan !== undefined) hybrid.UseOnPremDialPlan = p.UseOnPremDialPlan;
      this.store.setHybrid(hybrid);
      return null;
    },
    'Get-CsTenantFederationConfiguration': () => [{ Identity: 'Global', SharedSipAddressSpace: this.store.federation().SharedSipAddressSpace }],
    'Set-CsTenantFederationConfiguration': (p) => {
      const federation = this.store.federation();
      if (p.SharedSipAddressSpace !== undefined) federation.SharedSipAddressSpace = p.SharedSipAddressSpace;
      this.store.setFederation(federation);
      return null;
    },
    'Get-CsOnlineSipDomain': (p) =>
      this.store.sipDomains()
        .filter((d) => p.Domain === undefined || d.Name.toLowerCase() === p.Domain.trim().toLowerCase())
        .filter((d) => p.DomainStatus === undefined || d.Status === p.DomainStatus)
        .map((d) => ({ Name: d.Name, Status: d.Status })),
    'Get-CsHybridMediationServer': (p) => {
      const { user: u } = this.mediationServerAccount(p.Identity);
      const fqdn = u.MediationServerFqdn ?? null;
      return [{
        Identity: u.DisplayName,
        Fqdn: fqdn,
        AccessProxyExternalFqdn: u.AccessProxyExternalFqdn ?? null,
        SipAddress: fqdn ? `sip:${fqdn}@${u.UserPrincipalName.split('@')[1] ?? this.store.domain()}` : null,
      }];
    },
    'Set-CsHybridMediationServer': (p) => {
      for (const [name, value] of [['Fqdn', p.Fqdn], ['AccessProxyExternalFqdn', p.AccessProxyExternalFqdn]] as const) {
        if (!fqdnPattern.test(value)) throw new TenantError('invalid-parameter', `Cannot validate argument on parameter '${name}'. "${value}" is not a valid fully qualified domain name.`);
      }
      const row = this.mediationServerAccount(p.Identity);
      const u = row.user;
      if ((u.Department ?? '').toLowerCase() !== mediationServerDepartment.toLowerCase()) {
        throw new TenantError('cmdlet-error', `User "${u.UserPrincipalName}" is not a hybrid Mediation Server account: its Department must be "${mediationServerDepartment}" (set it with Set-MsolUser or Update-MgUser first).`);
      }
      u.MediationServerFqdn = p.Fqdn;
      u.AccessProxyExternalFqdn = p.AccessProxyExternalFqdn;
      this.store.update([row]);
      return null;
    },
    'Set-MsolUser': (p) => {
      const [row] = this.store.byUpn(p.UserPrincipalName.trim().toLowerCase());
      if (!row) throw new TenantError('not-found', `User Not Found. User: ${p.UserPrincipalName}.`);
      if (p.Department !== undefined) row.user.Department = p.Department;
      this.store.update([row]);
      return null;
    },
    'Update-MgUser': (p) => {
      const row = this.directoryUser(p.UserId);
      if (p.Department !== undefined) row.user.Department = p.Department;
      this.store.update([row]);
      return null;
    },
    'Get-MgUser': (p) => {
      const { user: u } = this.directoryUser(p.UserId);
      return [{
        Id: u.Identity,
        UserPrincipalName: u.UserPrincipalName,
        DisplayName: u.DisplayName,
        Department: u.Department ?? null,
        AssignedLicenses: skusOf(u),
        FeatureTypes: u.Licenses,
      }];
    },
    'Get-CsOnlinePSTNGateway': (p) => {
      const { gateways } = this.store.directRouting();
      if (p.Identity === undefined) return gateways.map((g) => this.gatewayView(g));
      const found = gateways.find((g) => g.Fqdn.toLowerCase() === p.Identity!.trim().toLowerCase());
      if (!found) throw new TenantError('not-found', `Couldn't find object "${p.Identity}". Please check your parameters and try again.`);
      return [this.gatewayView(found)];
    },
    'New-CsOnlinePSTNGateway': (p) => {
      const fqdn = p.Fqdn.trim();
      if (!fqdnPattern.test(fqdn)) throw new TenantError('invalid-parameter', `Cannot validate argument on parameter 'Fqdn'. "${p.Fqdn}" is not a valid fully qualified domain name.`);
      // Direct Routing pairs an SBC only under a domain registered in the tenant, never *.onmicrosoft.com.
      const domain = fqdn.slice(fqdn.indexOf('.') + 1).toLowerCase();
      const registered = this.store.sipDomains().some((d) => d.Name.toLowerCase() === domain);
      if (!registered || domain.endsWith('.onmicrosoft.com')) {
        throw new TenantError('cmdlet-error', `Cannot pair "${fqdn}": its domain ${domain} is not a domain registered in this tenant (*.onmicrosoft.com domains cannot be used).`);
      }
      const directRouting = this.store.directRouting();
      if (directRouting.gateways.some((g) => g.Fqdn.toLowerCase() === fqdn.toLowerCase())) throw new TenantError('cmdlet-error', `An object with Identity "${fqdn}" already exists.`);
      const gateway: SimPstnGateway = { Fqdn: fqdn.toLowerCase(), SipSignalingPort: p.SipSignalingPort, MaxConcurrentSessions: p.MaxConcurrentSessions ?? null, Enabled: p.Enabled ?? false };
      directRouting.gateways.push(gateway);
      this.store.setDirectRouting(directRouting);
      return [this.gatewayView(gateway)];
    },
    'Set-CsOnlinePSTNGateway': (p) => {
      const directRouting = this.store.directRouting();
      const gateway = directRouting.gateways.find((g) => g.Fqdn.toLowerCase() === p.Identity.trim().toLowerCase());
      if (!gateway) throw new TenantError('not-found', `Couldn't find object "${p.Identity}". Please check your parameters and try again.`);
      if (p.SipSignalingPort !== undefined) gateway.SipSignalingPort = p.SipSignalingPort;
      if (p.MaxConcurrentSessions !== undefined) gateway.MaxConcurrentSessions = p.MaxConcurrentSessions;
      if (p.Enabled !== undefined) gateway.Enabled = p.Enabled;
      this.store.setDirectRouting(directRouting);
      return null;
    },
    'Set-CsPhoneNumberAssignment': (p) => {
      const number = p.TelephoneNumber.trim();
      const m = /^\+?([1-9]\d{6,14})(;ext=\d{1,10})?$/i.exec(number);
      if (!m) throw new TenantError('invalid-parameter', `Cannot validate argument on parameter 'TelephoneNumber'. "${p.TelephoneNumber}" is not a phone number in E.164 form such as +14255551297 (no tel: prefix).`);
      const uri = `tel:+${m[1]}${m[2] ? m[2].toLowerCase() : ''}`;
      const [row] = this.usersFor(p.Identity, { many: false });
      const u = row!.user;
      if (!u.Licenses.includes('PhoneSystem')) throw new TenantError('cmdlet-error', `User "${u.UserPrincipalName}" is not licensed for Phone System. Assign an E5 licence or the Phone System add-on first.`);
      // Calling Plan and Operator Connect numbers come from the tenant's number inventory, which this tenant does not hold.
      const shown = uri.slice('tel:'.length);
      if (p.NumberType !== 'DirectRouting') throw new TenantError('cmdlet-error', `The number ${shown} is not in this tenant's ${p.NumberType} telephone number inventory.`);
      const holder = this.store.byLineUri(uri).find((h) => h.pos !== row!.pos);
      if (holder) throw new TenantError('cmdlet-error', `The number ${shown} is already assigned to ${holder.user.UserPrincipalName}.`);
      u.OnPremLineURI = uri;
      u.NumberType = p.NumberType;
      u.EnterpriseVoiceEnabled = true;
      this.store.update([row!]);
      return null;
    },
    'Get-CsOnlineVoiceRoutingPolicy': (p) => {
      const all = [{ Identity: 'Global', OnlinePstnUsages: [] as string[], Description: null as string | null }, ...this.store.directRouting().voiceRoutingPolicies.map((v) => ({ Identity: `Tag:${v.Name}`, OnlinePstnUsages: v.OnlinePstnUsages, Description: v.Description }))];
      if (p.Identity === undefined) return all;
      const found = this.voiceRoutingPolicy(p.Identity);
      if (!found) throw new TenantError('not-found', `Couldn't find object "${p.Identity}". Please check your parameters and try again.`);
      return [all.find((v) => v.Identity === (found === 'Global' ? 'Global' : `Tag:${found.Name}`))!];
    },
    'Get-CsOnlinePstnUsage': () => [{ Identity: 'Global', Usage: this.store.directRouting().pstnUsages }],
    'Set-CsOnlinePstnUsage': (p) => {
      const directRouting = this.store.directRouting();
      // Adding a usage the list has is no change: the list holds each name once.
      for (const usage of p.Usage.Add) if (!directRouting.pstnUsages.some((u) => u.toLowerCase() === usage.toLowerCase())) directRouting.pstnUsages.push(usage);
      this.store.setDirectRouting(directRouting);
      return null;
    },
    'Get-CsOnlineVoiceRoute': (p) => {
      const routes = this.store.directRouting().voiceRoutes.map((r) => ({ Identity: r.Name, NumberPattern: r.NumberPattern, OnlinePstnGatewayList: r.OnlinePstnGatewayList, OnlinePstnUsages: r.OnlinePstnUsages, Priority: r.Priority }));
      if (p.Identity === undefined) return routes;
      const found = routes.find((r) => r.Identity.toLowerCase() === p.Identity!.trim().toLowerCase());
      if (!found) throw new TenantError('not-found', `Couldn't find object "${p.Identity}". Please check your parameters and try again.`);
      return [found];
    },
    'New-CsOnlineVoiceRoute': (p) => {
      const directRouting = this.store.directRouting();
      if (directRouting.voiceRoutes.some((r) => r.Name.toLowerCase() === p.Identity.toLowerCase())) throw new TenantError('cmdlet-error', `An object with Identity "${p.Identity}" already exists.`);
      try {
        new RegExp(p.NumberPattern);
      } catch {
        throw new TenantError('invalid-parameter', `Cannot validate argument on parameter 'NumberPattern'. "${p.NumberPattern}" is not a valid regular expression.`);
      }
      const gateways = p.OnlinePstnGatewayList.map((name) => {
        const g = directRouting.gateways.find((x) => x.Fqdn === name.trim().toLowerCase());
        if (!g) throw new TenantError('not-found', `The online PSTN gateway "${name}" was not found: pair it with New-CsOnlinePSTNGateway first.`);
        return g.Fqdn;
      });
      const usages = p.OnlinePstnUsages.map((name) => this.pstnUsage(directRouting, name));
      const route = { Name: p.Identity, NumberPattern: p.NumberPattern, OnlinePstnGatewayList: gateways, OnlinePstnUsages: usages, Priority: p.Priority ?? directRouting.voiceRoutes.length };
      directRouting.voiceRoutes.push(route);
      this.store.setDirectRouting(directRouting);
      return [{ Identity: route.Name, NumberPattern: route.NumberPattern, OnlinePstnGatewayList: route.OnlinePstnGatewayList, OnlinePstnUsages: route.OnlinePstnUsages, Priority: route.Priority }];
    },
    'New-CsOnlineVoiceRoutingPolicy': (p) => {
      const directRouting = this.store.directRouting();
      const name = p.Identity.trim().replace(/^tag:/i, '');
      if (name.toLowerCase() === 'global' || directRouting.voiceRoutingPolicies.some((v) => v.Name.toLowerCase() === name.toLowerCase())) throw new TenantError('cmdlet-error', `An object with Identity "Tag:${name}" already exists.`);
      const policy = { Name: name, OnlinePstnUsages: p.OnlinePstnUsages.map((u) => this.pstnUsage(directRouting, u)), Description: p.Description ?? null };
      directRouting.voiceRoutingPolicies.push(policy);
      this.store.setDirectRouting(directRouting);
      return [{ Identity: `Tag:${policy.Name}`, OnlinePstnUsages: policy.OnlinePstnUsages, Description: policy.Description }];
    },
    'Grant-CsOnlineVoiceRoutingPolicy': (p) => {
      const [row] = this.usersFor(p.Identity, { many: false });
      let policy: string | null = null;
      if (p.PolicyName !== null) {
        const found = this.voiceRoutingPolicy(p.PolicyName);
        if (!found) throw new TenantError('not-found', `Cannot find OnlineVoiceRoutingPolicy "${p.PolicyName}".`);
        policy = found === 'Global' ? null : found.Name;
      }
      row!.user.OnlineVoiceRoutingPolicy = policy;
      this.store.update([row!]);
      return null;
    },
    'Get-CsHybridPSTNSite': (p) => {
      if (p.Identity === undefined) return this.store.sites().map((s) => ({ Identity: s.Identity, EdgeFqdn: s.EdgeFqdn }));
      const site = this.store.site(p.Identity);
      if (!site) throw new TenantError('not-found', `Hybrid PSTN site "${p.Identity}" was not found.`);
      return [{ Identity: site.Identity, EdgeFqdn: site.EdgeFqdn }];
    },
  };
}

function writeFileAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  fs.writeSync(fd, text);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
}
