/**
 * The simulated tenant's state in SQLite (better-sqlite3): one row per directory account, with a lower-cased
 * column and an index for every way the cmdlets look an account up (object id, UPN, SIP address, display name,
 * alias, line URI, Department), a reversed display name for `*suffix` patterns and a trigram index for
 * `*middle*` ones. A lookup reads the rows it returns, never the whole tenant; a change is one short transaction.
 *
 * WAL with synchronous=NORMAL: a committed change survives a crash of the process (a power cut may lose the
 * last ones; this is a simulator), and a commit does not wait for the disk on the event loop.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { guidPattern, likePattern } from './identity';
import type { Clause, parseFilter } from './filter';
import { SimDirectRouting, type SimSipDomain, type SimSite, type SimTenantState, type SimUser } from './state';

/** A stored account and its place in tenant order. */
export interface Row {
  pos: number;
  user: SimUser;
}

type Hybrid = SimTenantState['hybrid'];
type Federation = SimTenantState['federation'];
type DirectRouting = SimTenantState['directRouting'];

const schemaVersion = 1;

const tables = `
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sites (pos INTEGER PRIMARY KEY, identity TEXT NOT NULL, identity_lc TEXT NOT NULL, edge_fqdn TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sip_domains (pos INTEGER PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  pos INTEGER PRIMARY KEY,
  identity_lc TEXT NOT NULL,
  upn_lc TEXT NOT NULL,
  sip_lc TEXT NOT NULL,
  name_lc TEXT NOT NULL,
  name_rev TEXT NOT NULL,
  alias_lc TEXT NOT NULL,
  line_lc TEXT,
  dept_lc TEXT,
  ev INTEGER NOT NULL,
  data TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS user_names USING fts5(name_lc, tokenize = 'trigram', content = 'users', content_rowid = 'pos');
`;

/** Built after a new tenant's rows are in: one sort per index instead of a b-tree insert per row. */
const indexes = `
CREATE INDEX IF NOT EXISTS sites_identity ON sites (identity_lc);
CREATE INDEX IF NOT EXISTS users_identity ON users (identity_lc);
CREATE INDEX IF NOT EXISTS users_upn ON users (upn_lc);
CREATE INDEX IF NOT EXISTS users_sip ON users (sip_lc);
CREATE INDEX IF NOT EXISTS users_name ON users (name_lc);
CREATE INDEX IF NOT EXISTS users_name_rev ON users (name_rev);
CREATE INDEX IF NOT EXISTS users_alias ON users (alias_lc);
CREATE INDEX IF NOT EXISTS users_line ON users (line_lc) WHERE line_lc IS NOT NULL;
CREATE INDEX IF NOT EXISTS users_dept ON users (dept_lc) WHERE dept_lc IS NOT NULL;
CREATE INDEX IF NOT EXISTS users_ev ON users (ev) WHERE ev = 1;
`;

/** Above every character a prefix can continue with (SQLite compares BINARY text as UTF-8 bytes). */
const prefixEnd = String.fromCodePoint(0x10ffff);
const reverse = (s: string) => [...s].reverse().join('');
const lower = (s: string | null | undefined) => (s === null || s === undefined ? null : s.toLowerCase());

/** A row as read: its JSON is decoded only for rows that are returned. */
interface Raw {
  pos: number;
  name_lc: string;
  data: string;
}

/** Candidate rows for a filter: every row ('all'), or exactly these (not decoded yet). */
type Candidates = 'all' | Map<number, Raw>;

export class SimStore {
  readonly db: Database.Database;
  /** The prepared statements by name (tests read their query plans). */
  readonly q: ReturnType<SimStore['prepare']>;
  /** Account rows read (decoded) so far: what a lookup costs, for tests and benchmarks. */
  rowsRead = 0;

  private constructor(db: Database.Database) {
    this.db = db;
    this.q = this.prepare();
  }

  /** Opens `dir/sim-tenant.db` (in memory without `dir`); a new database starts from `initial()`. */
  static open(dir: string | undefined, initial: () => SimTenantState): { store: SimStore; created: boolean } {
    if (dir) fs.mkdirSync(dir, { recursive: true });
    const file = dir ? path.join(dir, 'sim-tenant.db') : ':memory:';
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== 0 && version !== schemaVersion) throw new Error(`${file} has simulated-tenant schema ${version}; this version reads ${schemaVersion}.`);
    db.exec(tables);
    const created = version === 0;
    const store = new SimStore(db);
    if (created) {
      store.transaction(() => {
        store.importState(initial(), { indexNames: false });
        // The trigram index is filled from the rows in one pass, then the b-tree indexes are built.
        db.exec(`INSERT INTO user_names (user_names) VALUES ('rebuild'); ${indexes}`);
        db.pragma(`user_version = ${schemaVersion}`);
      });
    }
    db.exec(indexes);
    return { store, created };
  }

  private prepare() {
    const db = this.db;
    const cols = 'pos, name_lc, data';
    return {
      getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?'),
      putSetting: db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      sites: db.prepare<[], { identity: string; edge_fqdn: string }>('SELECT identity, edge_fqdn FROM sites ORDER BY pos'),
      siteByName: db.prepare<[string], { identity: string; edge_fqdn: string }>('SELECT identity, edge_fqdn FROM sites WHERE identity_lc = ? ORDER BY pos'),
      insertSite: db.prepare<[string, string, string]>('INSERT INTO sites (identity, identity_lc, edge_fqdn) VALUES (?, ?, ?)'),
      sipDomains: db.prepare<[], { name: string; status: 'Enabled' | 'Disabled' }>('SELECT name, status FROM sip_domains ORDER BY pos'),
      insertSipDomain: db.prepare<[string, string]>('INSERT INTO sip_domains (name, status) VALUES (?, ?)'),
      insertUser: db.prepare<[string, string, string, string, string, string, string | null, string | null, number, string]>(
        'INSERT INTO users (identity_lc, upn_lc, sip_lc, name_lc, name_rev, alias_lc, line_lc, dept_lc, ev, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      insertName: db.prepare<[number | bigint, string]>('INSERT INTO user_names (rowid, name_lc) VALUES (?, ?)'),
      updateUser: db.prepare<[string | null, string | null, number, string, number]>('UPDATE users SET line_lc = ?, dept_lc = ?, ev = ?, data = ? WHERE pos = ?'),
      byIdentity: db.prepare<[string], Raw>(`SELECT ${cols} FROM users WHERE identity_lc = ? ORDER BY pos`),
      byUpn: db.prepare<[string], Raw>(`SELECT ${cols} FROM users WHERE upn_lc = ? ORDER BY pos`),
      bySip: db.prepare<[string], Raw>(`SELECT ${cols} FROM users WHERE sip_lc = ? ORDER BY pos`),
      byUpnOrSip: db.prepare<[string, string], Raw>(`SELECT ${cols} FROM users WHERE upn_lc = ? UNION SELECT ${cols} FROM users WHERE sip_lc = ? ORDER BY pos`),
      byName: db.prepare<[string], Raw>(`SELECT ${cols} FROM users WHERE name_lc = ? ORDER BY pos`),
      byNameOrAlias: db.prepare<[string, string], Raw>(`SELECT ${cols} FROM users WHERE name_lc = ? UNION SELECT ${cols} FROM users WHERE alias_lc = ? ORDER BY pos`),
      byAlias: db.prepare<[string], Raw>(`SELECT ${cols} FROM users WHERE alias_lc = ? ORDER BY pos`),
      byLine: db.prepare<[string], Raw>(`SELECT ${cols} FROM users WHERE line_lc = ? ORDER BY pos`),
      byDept: db.prepare<[string], Raw>(`SELECT ${cols} FROM users WHERE dept_lc = ? ORDER BY pos`),
      voiceEnabled: db.prepare<[], Raw>(`SELECT ${cols} FROM users WHERE ev = 1 ORDER BY pos`),
      namePrefix: db.prepare<[string, string], Raw>(`SELECT ${cols} FROM users WHERE name_lc >= ? AND name_lc < ? ORDER BY pos`),
      namePrefixSuffix: db.prepare<[string, string, string, string], Raw>(`SELECT ${cols} FROM users WHERE name_lc >= ? AND name_lc < ? AND name_rev >= ? AND name_rev < ? ORDER BY pos`),
      nameSuffix: db.prepare<[string, string], Raw>(`SELECT ${cols} FROM users WHERE name_rev >= ? AND name_rev < ? ORDER BY pos`),
      nameContains: db.prepare<[string], Raw>(
        `SELECT ${cols} FROM users WHERE pos IN (SELECT rowid FROM user_names WHERE name_lc LIKE ? ESCAPE '\\') ORDER BY pos`),
      all: db.prepare<[], Raw>(`SELECT ${cols} FROM users ORDER BY pos`),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM users'),
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs `fn` as one transaction: a handler's checks and its writes see and leave one consistent state. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Loads a whole tenant in one transaction with prepared statements (100,000 users in seconds). */
  importState(state: SimTenantState, options: { indexNames: boolean } = { indexNames: true }): void {
    this.transaction(() => {
      this.putSettings(state);
      for (const s of state.sites) this.q.insertSite.run(s.Identity, s.Identity.toLowerCase(), s.EdgeFqdn);
      this.siteList = undefined;
      for (const d of state.sipDomains) this.q.insertSipDomain.run(d.Name, d.Status);
      for (const u of state.users) this.insert(u, options);
    });
  }

  private putSettings(state: Pick<SimTenantState, 'tenantId' | 'domain' | 'hybrid' | 'federation' | 'directRouting'>): void {
    this.q.putSetting.run('tenantId', JSON.stringify(state.tenantId));
    this.q.putSetting.run('domain', JSON.stringify(state.domain));
    this.q.putSetting.run('hybrid', JSON.stringify(state.hybrid));
    this.q.putSetting.run('federation', JSON.stringify(state.federation));
    this.q.putSetting.run('directRouting', JSON.stringify(state.directRouting));
    this.settings.clear();
  }

  /** The tenant-wide settings, read on every cmdlet that resolves a user: kept parsed, and dropped on every write. */
  private readonly settings = new Map<string, unknown>();

  private setting<T>(key: string, absent?: T): T {
    // A copy, as a fresh parse was: a caller that changes what it got changes nothing until it sets it.
    if (this.settings.has(key)) return structuredClone(this.settings.get(key)) as T;
    const row = this.q.getSetting.get(key);
    if (!row && absent !== undefined) return absent;
    if (!row) throw new Error(`simulated tenant setting ${key} is missing`);
    const value = JSON.parse(row.value) as T;
    this.settings.set(key, structuredClone(value));
    return value;
  }

  tenantId(): string {
    return this.setting<string>('tenantId');
  }
  domain(): string {
    return this.setting<string>('domain');
  }
  hybrid(): Hybrid {
    return this.setting<Hybrid>('hybrid');
  }
  setHybrid(hybrid: Hybrid): void {
    this.q.putSetting.run('hybrid', JSON.stringify(hybrid));
    this.settings.delete('hybrid');
  }
  federation(): Federation {
    return this.setting<Federation>('federation');
  }
  setFederation(federation: Federation): void {
    this.q.putSetting.run('federation', JSON.stringify(federation));
    this.settings.delete('federation');
  }
  /** SBCs and online voice routing policies; a database from before Direct Routing has none yet. */
  directRouting(): DirectRouting {
    // Parsed, so a setting written before a list existed reads with that list empty.
    return SimDirectRouting.parse(this.setting<unknown>('directRouting', {}));
  }
  setDirectRouting(directRouting: DirectRouting): void {
    this.q.putSetting.run('directRouting', JSON.stringify(directRouting));
    this.settings.delete('directRouting');
  }

  /** The PSTN sites, which only importState writes (CCE registers them, no cmdlet here does): read once. */
  private siteList: readonly SimSite[] | undefined;

  sites(): SimSite[] {
    this.siteList ??= this.q.sites.all().map((s) => ({ Identity: s.identity, EdgeFqdn: s.edge_fqdn }));
    return this.siteList.map((s) => ({ ...s }));
  }
  site(name: string): SimSite | undefined {
    const s = this.q.siteByName.get(name.toLowerCase());
    return s ? { Identity: s.identity, EdgeFqdn: s.edge_fqdn } : undefined;
  }
  sipDomains(): SimSipDomain[] {
    return this.q.sipDomains.all().map((d) => ({ Name: d.name, Status: d.status }));
  }

  insert(u: SimUser, options: { indexNames: boolean } = { indexNames: true }): Row {
    const name = u.DisplayName.toLowerCase();
    const info = this.q.insertUser.run(
      u.Identity.toLowerCase(), u.UserPrincipalName.toLowerCase(), u.SipAddress.toLowerCase(), name, reverse(name), u.Alias.toLowerCase(),
      lower(u.OnPremLineURI), lower(u.Department), u.EnterpriseVoiceEnabled ? 1 : 0, JSON.stringify(u),
    );
    if (options.indexNames) this.q.insertName.run(info.lastInsertRowid, name);
    return { pos: Number(info.lastInsertRowid), user: u };
  }

  /** Writes back accounts a handler changed. Identities and names never change (no cmdlet sets them). */
  update(rows: readonly Row[]): void {
    for (const { pos, user: u } of rows) this.q.updateUser.run(lower(u.OnPremLineURI), lower(u.Department), u.EnterpriseVoiceEnabled ? 1 : 0, JSON.stringify(u), pos);
  }

  count(): number {
    return this.q.count.get()!.n;
  }

  private rows(raw: Raw[]): Row[] {
    this.rowsRead += raw.length;
    return raw.map((r) => ({ pos: r.pos, user: JSON.parse(r.data) as SimUser }));
  }

  byIdentity(idLower: string): Row[] {
    return this.rows(this.q.byIdentity.all(idLower));
  }
  byUpn(upnLower: string): Row[] {
    return this.rows(this.q.byUpn.all(upnLower));
  }
  bySip(sipLower: string): Row[] {
    return this.rows(this.q.bySip.all(sipLower));
  }
  /** `x@domain`: the UPN, or the SIP address sip:x@domain. */
  byUpnOrSip(lowerAddress: string): Row[] {
    return this.rows(this.q.byUpnOrSip.all(lowerAddress, `sip:${lowerAddress}`));
  }
  byDisplayName(nameLower: string): Row[] {
    return this.rows(this.q.byName.all(nameLower));
  }
  byDisplayNameOrAlias(lowerName: string): Row[] {
    return this.rows(this.q.byNameOrAlias.all(lowerName, lowerName));
  }
  /**
   * Every account the identity names, in tenant order, as the CCE-era cmdlets resolve it: a GUID is the object id,
   * `sip:` a SIP address, a `*` pattern display names, `x@y` a UPN or SIP address, anything else a display name or
   * alias. Empty when none.
   */
  resolve(identity: string): Row[] {
    const id = identity.trim();
    const lowerId = id.toLowerCase();
    if (guidPattern.test(id)) return this.byIdentity(lowerId);
    if (lowerId.startsWith('sip:')) return this.bySip(lowerId);
    if (id.includes('*')) return this.byDisplayNamePattern(id);
    if (id.includes('@')) return this.byUpnOrSip(lowerId);
    return this.byDisplayNameOrAlias(lowerId);
  }

  /** Who holds a line URI (case-insensitive). */
  byLineUri(uri: string): Row[] {
    return this.rows(this.q.byLine.all(uri.toLowerCase()));
  }

  /**
   * Display names matching a `*` pattern, in tenant order: a literal prefix is a range on the name index, a literal
   * suffix a range on the reversed name, a middle of three characters or more a trigram lookup; only a pattern with
   * none of those (`*`, `*a*`) reads every row.
   */
  byDisplayNamePattern(pattern: string): Row[] {
    return this.rows(this.rawByPattern(pattern));
  }

  private rawByPattern(pattern: string): Raw[] {
    const re = likePattern(pattern);
    const parts = pattern.toLowerCase().split('*');
    const prefix = parts[0]!;
    const suffix = parts.length > 1 ? parts[parts.length - 1]! : '';
    const rev = reverse(suffix);
    let raw: Raw[];
    if (parts.length === 1) raw = this.q.byName.all(prefix);
    else if (prefix && suffix) raw = this.q.namePrefixSuffix.all(prefix, prefix + prefixEnd, rev, rev + prefixEnd);
    else if (prefix) raw = this.q.namePrefix.all(prefix, prefix + prefixEnd);
    else if (suffix) raw = this.q.nameSuffix.all(rev, rev + prefixEnd);
    else {
      const middle = parts.reduce((a, b) => ([...b].length > [...a].length ? b : a), '');
      raw = [...middle].length >= 3 ? this.q.nameContains.all(`%${middle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) : this.q.all.all();
    }
    // The indexes narrow by prefix, suffix or middle; the whole pattern decides (it is case-insensitive, so the
    // lower-cased name answers as the name would).
    return raw.filter((r) => re.test(r.name_lc));
  }

  /** Every account in tenant order, lazily: a caller that stops early reads no further. */
  *scan(): Generator<Row> {
    for (const r of this.q.all.iterate()) {
      this.rowsRead++;
      yield { pos: r.pos, user: JSON.parse(r.data) as SimUser };
    }
  }

  /**
   * The rows a -Filter can match, from the indexes its clauses allow (joined left to right like the filter), or
   * 'all' when some branch needs a full read. The caller still evaluates the whole filter on each candidate.
   */
  filterCandidates(filter: ReturnType<typeof parseFilter>): Candidates {
    let acc = this.clauseCandidates(filter.clauses[0]!);
    filter.joins.forEach((join, i) => {
      const next = this.clauseCandidates(filter.clauses[i + 1]!);
      if (join === 'and') {
        if (acc === 'all') acc = next;
        else if (next !== 'all') acc = new Map([...acc].filter(([pos]) => next.has(pos)));
      } else if (acc === 'all' || next === 'all') acc = 'all';
      else for (const [pos, raw] of next) acc.set(pos, raw);
    });
    return acc;
  }

  /** Decodes candidates in tenant order. */
  decode(candidates: Map<number, Raw>): Row[] {
    return this.rows([...candidates.values()].sort((a, b) => a.pos - b.pos));
  }

  private clauseCandidates(c: Clause): Candidates {
    const property = c.property.toLowerCase();
    const toMap = (rows: Raw[]): Candidates => new Map(rows.map((r) => [r.pos, r]));
    if (typeof c.value === 'boolean') {
      return property === 'enterprisevoiceenabled' && c.op === 'eq' && c.value ? toMap(this.q.voiceEnabled.all()) : 'all';
    }
    const v = c.value.toLowerCase();
    // An empty value matches accounts where the property is empty (null), which the indexes do not hold.
    if (c.op === 'ne' || v === '') return 'all';
    if (c.op === 'like') return property === 'displayname' ? toMap(this.rawByPattern(c.value)) : 'all';
    switch (property) {
      case 'displayname': return toMap(this.q.byName.all(v));
      case 'userprincipalname': return toMap(this.q.byUpn.all(v));
      case 'sipaddress': return toMap(this.q.bySip.all(v));
      case 'alias': return toMap(this.q.byAlias.all(v));
      case 'identity': return toMap(this.q.byIdentity.all(v));
      case 'lineuri':
      case 'onpremlineuri': return toMap(this.q.byLine.all(v));
      case 'department': return toMap(this.q.byDept.all(v));
      default: return 'all';
    }
  }

  /** The whole state as plain data (tests and the stand-in's seed); reads every row. */
  snapshot(): SimTenantState {
    return {
      tenantId: this.tenantId(),
      domain: this.domain(),
      hybrid: this.hybrid(),
      federation: this.federation(),
      directRouting: this.directRouting(),
      sipDomains: this.sipDomains(),
      sites: this.sites(),
      users: [...this.scan()].map((r) => r.user),
    };
  }
}

