/**
 * bulk enable: many users from a CSV (header user,number,site,international) under one approval. Each
 * row becomes the change commands it needs (enable-voice, assign-site, international-calling), each
 * planned by that command's own plan(), so a row obeys exactly the rules a single request does. A row
 * already in the wanted state is skipped (a re-run skips what is done); a bad row gets its one-line
 * reason and does not stop the others.
 *
 * Planning reads the tenant for every row. On PowerShell each read is a round trip, so the reads the
 * parts will make are fetched first in a few filtered queries and served from a read-only cache.
 */
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { oneLine, Refusal } from '../../errors';
import { openStatuses } from '../../model/request';
import { cmdlets, type CmdletName, type CmdletParams, type OnlineUser } from '../../tenant/cmdlets';
import { filterLiteral, findUsers } from '../../tenant/directory';
import { TenantError, type CmdletRun, type RunOptions, type TenantDescription, type TenantPort } from '../../tenant/port';
import { defineCommand, type BatchItem, type ChangeCommand, type Command, type CommandContext } from '../command';
import { SiteName, TelUri } from '../fields';
import { numberLock } from '../plans';
import { assignSite } from './assign-site';
import { enableVoice } from './enable-voice';
import { internationalCalling } from './international-calling';

/** Rows in one batch at most: one approver reads the preview, and one lease covers the run. */
export const maxRows = 5_000;
const maxCsvChars = 1024 * 1024;

const Input = z.object({
  csv: z.string({ error: 'Paste the CSV (user,number,site,international) or attach it.' }).max(maxCsvChars, 'The CSV is larger than 1 MB; split it into smaller files.'),
});
type Input = z.infer<typeof Input>;

type Column = 'user' | 'number' | 'site' | 'international';
/** Header names admins use for each column, compared without case, spaces, dashes or underscores. */
const headerNames: Record<Column, string[]> = {
  user: ['user', 'users', 'upn', 'userprincipalname', 'username', 'identity', 'sipaddress', 'email'],
  number: ['number', 'phonenumber', 'phone', 'lineuri', 'onpremlineuri', 'tel', 'telephonenumber', 'did'],
  site: ['site', 'pstnsite', 'hybridpstnsite'],
  international: ['international', 'internationalcalls', 'internationalcalling', 'allowinternationalcalls', 'intl'],
};
const expectedHeader = 'user,number,site,international';

interface Row {
  /** 1-based, the first row after the header. */
  row: number;
  user: string;
  number: string;
  site: string;
  international: string;
}

/** The separator the header line uses: `;` (as Excel writes it in many locales), tab or `,`. */
function separatorOf(text: string): string {
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  const counts = [';', '\t', ','].map((s) => ({ s, n: unquoted.split(s).length - 1 }));
  const best = counts.sort((a, b) => b.n - a.n)[0]!;
  return best.n > 0 ? best.s : ',';
}

/** The CSV's rows, forgiving about header case and spacing, `;` separators, a BOM and quoted fields. */
export function readRows(text: string): Row[] {
  let records: string[][];
  try {
    records = parse(text, { delimiter: separatorOf(text), bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
  } catch (err) {
    throw new Refusal('invalid-input', oneLine(`The CSV could not be read: ${(err as Error).message}`));
  }
  const [header, ...body] = records.filter((r) => r.some((cell) => cell !== ''));
  if (!header) throw new Refusal('missing-input', `The CSV is empty: give a header row (${expectedHeader}) and one row per user.`);
  const key = (h: string) => h.toLowerCase().replace(/[\s_-]+/g, '');
  const position = {} as Partial<Record<Column, number>>;
  header.forEach((h, i) => {
    const column = (Object.keys(headerNames) as Column[]).find((c) => headerNames[c].includes(key(h)));
    if (column && position[column] === undefined) position[column] = i;
  });
  if (position.user === undefined || (position.number === undefined && position.site === undefined && position.international === undefined)) {
    throw new Refusal('invalid-input', oneLine(`The CSV needs a header row ${expectedHeader} (user and at least one other); its first row is "${header.join(',')}".`, 200));
  }
  if (body.length === 0) throw new Refusal('missing-input', 'The CSV has a header but no rows.');
  if (body.length > maxRows) throw new Refusal('invalid-input', `A batch is at most ${maxRows.toLocaleString('en-US')} rows; this CSV has ${body.length.toLocaleString('en-US')}. Split it into smaller files.`);
  const cell = (r: string[], c: Column) => (position[c] === undefined ? '' : (r[position[c]!] ?? '').trim());
  return body.map((r, i) => ({ row: i + 1, user: cell(r, 'user'), number: cell(r, 'number'), site: cell(r, 'site'), international: cell(r, 'international') }));
}

/** yes/allow → allow, no/block → block, blank → leave as it is. */
function internationalMode(value: string): 'allow' | 'block' | undefined | Error {
  const v = value.toLowerCase();
  if (v === '') return undefined;
  if (['yes', 'y', 'allow', 'allowed', 'true', '1', 'on'].includes(v)) return 'allow';
  if (['no', 'n', 'block', 'blocked', 'disallow', 'false', '0', 'off'].includes(v)) return 'block';
  return new Error(`international "${value}" is not yes, no, allow or block`);
}

/** Runs `work` over `list` with at most `limit` at a time, keeping the order of the results. */
async function mapLimit<T, R>(list: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(list.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, list.length) }, async () => {
    while (next < list.length) {
      const i = next++;
      results[i] = await work(list[i]!);
    }
  }));
  return results;
}

const cacheRecord = { command: '(served from the planning cache)', durationMs: 0, session: 'cache', outcome: 'ok' as const, attempts: 0 };

/**
 * A read-only cache in front of the tenant for planning a batch: each read is made once, and reads
 * fetched in bulk beforehand are answered without a round trip. Anything that changes the tenant is refused.
 */
class PlanningCache implements TenantPort {
  private readonly reads = new Map<string, Promise<unknown[]>>();
  private description: Promise<TenantDescription> | undefined;
  constructor(private readonly tenant: TenantPort) {}

  get backend() {
    return this.tenant.backend;
  }

  private static key(cmdlet: string, params: Record<string, unknown>): string {
    const entries = Object.entries(params)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, k === 'Identity' && typeof v === 'string' ? v.toLowerCase() : v] as const)
      .sort(([a], [b]) => a.localeCompare(b));
    return `${cmdlet} ${JSON.stringify(entries)}`;
  }

  /** Records what a read returns, as if it had been made. */
  prime(cmdlet: 'Get-CsOnlineUser' | 'Get-CsUserPstnSettings', params: Record<string, unknown>, output: unknown[]): void {
    this.reads.set(PlanningCache.key(cmdlet, params), Promise.resolve(output));
  }

  async run<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>, options?: RunOptions): Promise<CmdletRun<N>> {
    if (cmdlets[cmdlet].effect !== 'read') throw new Error(`Planning a batch never changes the tenant (${cmdlet}).`);
    const key = PlanningCache.key(cmdlet, params as Record<string, unknown>);
    let read = this.reads.get(key);
    if (!read) {
      read = this.tenant.run(cmdlet, params, options).then((r) => r.output as unknown[]);
      this.reads.set(key, read);
      // A failed read is not remembered: the next row asks again.
      read.catch(() => this.reads.delete(key));
    }
    return { output: (await read) as CmdletRun<N>['output'], record: cacheRecord };
  }

  describe(): Promise<TenantDescription> {
    this.description ??= this.tenant.describe();
    return this.description;
  }

  async close(): Promise<void> {}
}

/** OR-joined filters of at most ~3,500 characters each (the cmdlet's filter is capped at 4,096). */
function filterChunks(clauses: readonly string[]): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let length = 0;
  for (const c of clauses) {
    if (current.length && length + c.length + 5 > 3_500) {
      chunks.push(current.join(' -or '));
      current = [];
      length = 0;
    }
    current.push(c);
    length += c.length + 5;
  }
  if (current.length) chunks.push(current.join(' -or '));
  return chunks;
}

const isGuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Resolves every row's user in a few filtered reads: UPNs, SIP addresses and exact display names.
 * Only an exact match counts in a batch (no word matching): an unmatched name is the row's error.
 */
async function resolveUsers(tenant: PlanningCache, names: readonly string[]): Promise<Map<string, OnlineUser[]>> {
  const found = new Map<string, OnlineUser[]>(names.map((n) => [n.toLowerCase(), []]));
  const clause = (n: string) => {
    if (n.toLowerCase().startsWith('sip:')) return `SipAddress -eq ${filterLiteral(n)}`;
    if (n.includes('@')) return `UserPrincipalName -eq ${filterLiteral(n)}`;
    return `DisplayName -eq ${filterLiteral(n)}`;
  };
  const plain = names.filter((n) => !isGuid.test(n) && !n.includes('*'));
  const users = (await mapLimit(filterChunks(plain.map(clause)), 2, async (Filter) => (await tenant.run('Get-CsOnlineUser', { Filter })).output)).flat();
  for (const u of users) {
    for (const k of [u.UserPrincipalName.toLowerCase(), (u.SipAddress ?? '').toLowerCase(), u.DisplayName.toLowerCase()]) {
      const list = found.get(k);
      if (list && !list.some((x) => x.Identity === u.Identity)) list.push(u);
    }
    // The parts read the user by UPN again: answered from here.
    tenant.prime('Get-CsOnlineUser', { Identity: u.UserPrincipalName }, [u]);
  }
  for (const n of names.filter((x) => isGuid.test(x))) {
    try {
      found.set(n.toLowerCase(), (await tenant.run('Get-CsOnlineUser', { Identity: n })).output);
    } catch (err) {
      if (!(err instanceof TenantError && err.kind === 'not-found')) throw err;
    }
  }
  return found;
}

/** Who holds each number now, fetched in a few reads and primed as enable-voice's own holder check. */
async function primeNumberHolders(tenant: PlanningCache, numbers: readonly string[]): Promise<void> {
  const bare = [...new Set(numbers.map((n) => n.replace(/;ext=.*$/i, '')))];
  const holders = (await mapLimit(filterChunks(bare.map((n) => `LineURI -eq ${filterLiteral(n)}`)), 2, async (Filter) => (await tenant.run('Get-CsOnlineUser', { Filter })).output)).flat();
  for (const n of bare) {
    const of = holders.filter((h) => (h.LineURI ?? '').toLowerCase() === n.toLowerCase()).slice(0, 5);
    tenant.prime('Get-CsOnlineUser', { Filter: `LineURI -eq ${filterLiteral(n)}`, ResultSize: 5 }, of);
  }
}

/** A row's parts: each a change command with its input, planned by that command. */
interface Want {
  command: Command;
  params: Record<string, unknown>;
}

/** The locks open requests hold now (an open batch of the same CSV by the same person excepted: that is a re-send). */
async function heldLocks(ctx: CommandContext, input: Input): Promise<Map<string, string>> {
  const now = ctx.clock.now();
  const held = new Map<string, string>();
  for (const r of await ctx.store.listRequests({ statuses: openStatuses, limit: 10_000 })) {
    if (r.status === 'pending' && new Date(r.expiresAt) <= now) continue;
    if (r.command === 'bulk-enable' && r.requester.id.toLowerCase() === ctx.actor.id.toLowerCase() && r.params.csv === input.csv) continue;
    for (const lock of r.plan.locks) held.set(lock, r.id);
  }
  return held;
}

async function planRow(ctx: CommandContext, wants: readonly Want[]): Promise<{ parts: BatchItem['parts'] } | { error: string }> {
  const parts: BatchItem['parts'] = [];
  for (const want of wants) {
    const command = want.command as ChangeCommand;
    const input = command.input.safeParse(want.params);
    if (!input.success) return { error: input.error.issues[0]?.message ?? 'not valid' };
    try {
      parts.push({ command: command.id, params: input.data, plan: await command.plan(ctx, input.data) });
    } catch (err) {
      if (err instanceof Refusal && err.code === 'nothing-to-change') continue;
      if (err instanceof Refusal || err instanceof TenantError) return { error: oneLine(err.message, 200) };
      throw err;
    }
  }
  return { parts };
}

export const bulkEnable = defineCommand<Input>({
  id: 'bulk-enable',
  kind: 'batch',
  title: 'Bulk enable',
  summary: 'Enable many users from a CSV (user,number,site,international) under one approval: a preview with a verdict per row, then a result per row.',
  usage: 'bulk enable',
  examples: ['bulk enable', 'Bulk enable users', 'bulk enable voice'],
  patterns: [/^bulk\s+enable(?:\s+(?:voice|users|from\s+csv))?$/i],
  input: Input,
  required: ['csv'],
  fileField: 'csv',
  formCard: 'bulk-enable-form',
  audience: 'everyone',
  risk: 'high',
  timeoutMs: 60_000,

  async formData() {
    return { maxRows: maxRows.toLocaleString('en-US') };
  },

  describe(_input, items) {
    const ready = items.filter((i) => i.verdict === 'ready').length;
    return { target: `${items.length} row${items.length === 1 ? '' : 's'} of a CSV (${ready} to change)`, subject: 'bulk:csv' };
  },

  async items(ctx, input) {
    const rows = readRows(input.csv);
    const cache = new PlanningCache(ctx.tenant);
    const planning: CommandContext = { ...ctx, tenant: cache };

    const users = await resolveUsers(cache, [...new Set(rows.map((r) => r.user).filter((u) => u !== ''))]);
    const held = await heldLocks(ctx, input);
    const seenUser = new Map<string, number>();
    const seenNumber = new Map<string, number>();
    const numbers: string[] = [];
    const pstnReads = new Set<string>();

    // First pass: each row's own checks (fields, the user, duplicates), in file order.
    const checked = await mapLimit(rows, 4, async (row): Promise<{ row: Row; key: string; wants?: Want[]; error?: string }> => {
      if (row.user === '') return { row, key: '', error: 'no user given' };
      if (row.user.includes('*')) return { row, key: row.user, error: `"${row.user}" is a pattern; give one user per row (a UPN)` };
      const matches = users.get(row.user.toLowerCase()) ?? [];
      if (matches.length > 1) return { row, key: row.user, error: `"${row.user}" matches ${matches.length} users; give the UPN` };
      if (matches.length === 0) {
        const near = await findUsers(cache, row.user);
        // An address the tenant resolves exactly (e.g. a SIP address that is not the UPN) is that user.
        if (near.kind === 'one' && (row.user.includes('@') || isGuid.test(row.user))) matches.push(near.user);
      }
      if (matches.length === 0) {
        const near = await findUsers(cache, row.user);
        const hint = near.kind === 'none' ? (near.closest.length ? ` (closest: ${near.closest.join(', ')})` : '') : near.kind === 'one' ? ` (did you mean ${near.user.UserPrincipalName}?)` : '';
        return { row, key: row.user, error: `no user matches "${row.user}"${hint}` };
      }
      const upn = matches[0]!.UserPrincipalName;
      const wants: Want[] = [];
      if (row.number !== '') {
        const number = TelUri.safeParse(row.number);
        if (!number.success) return { row, key: upn.toLowerCase(), error: number.error.issues[0]?.message ?? 'not a phone number' };
        wants.push({ command: enableVoice, params: { user: upn, number: number.data } });
      }
      if (row.site !== '') {
        const site = SiteName.safeParse(row.site);
        if (!site.success) return { row, key: upn.toLowerCase(), error: site.error.issues[0]?.message ?? 'not a site name' };
        wants.push({ command: assignSite, params: { user: upn, site: site.data } });
      }
      const mode = internationalMode(row.international);
      if (mode instanceof Error) return { row, key: upn.toLowerCase(), error: mode.message };
      if (mode) wants.push({ command: internationalCalling, params: { user: upn, mode } });
      if (wants.length === 0) return { row, key: upn.toLowerCase(), error: 'nothing asked: give a number, a site or international yes/no' };
      return { row, key: upn.toLowerCase(), wants };
    });
    for (const c of checked) {
      if (!c.wants) continue;
      const firstUser = seenUser.get(c.key);
      if (firstUser !== undefined) {
        c.error = `${c.key} is also on row ${firstUser}`;
        continue;
      }
      seenUser.set(c.key, c.row.row);
      const number = c.wants.find((w) => w.command === enableVoice)?.params.number as string | undefined;
      if (number) {
        const firstNumber = seenNumber.get(numberLock(number));
        if (firstNumber !== undefined) {
          c.error = `the number ${number.replace(/^tel:/, '')} is also on row ${firstNumber}`;
          continue;
        }
        seenNumber.set(numberLock(number), c.row.row);
        numbers.push(number);
      }
      if (c.wants.some((w) => w.command !== enableVoice)) pstnReads.add(c.key);
    }

    // The reads the parts' plans make, fetched ahead: who holds each number, each user's PSTN settings.
    await primeNumberHolders(cache, numbers);
    await mapLimit([...pstnReads], 4, async (upn) => {
      try {
        await cache.run('Get-CsUserPstnSettings', { Identity: upn });
      } catch {
        // The part that needs it reads it again and says what went wrong, for its row only.
      }
    });

    // Second pass: each part planned by its own command (the rules of a single request, row by row).
    return mapLimit(checked, 4, async (c): Promise<BatchItem> => {
      const label = `row ${c.row.row}: ${c.key || '(no user)'}`;
      if (c.error || !c.wants) return { key: c.key, label, verdict: 'error', reason: c.error ?? 'not valid', parts: [] };
      const planned = await planRow(planning, c.wants);
      if ('error' in planned) return { key: c.key, label, verdict: 'error', reason: planned.error, parts: [] };
      if (planned.parts.length === 0) return { key: c.key, label, verdict: 'skip', reason: 'already in the wanted state', parts: [] };
      const holder = planned.parts.flatMap((p) => p.plan.locks).map((l) => held.get(l)).find(Boolean);
      if (holder) return { key: c.key, label, verdict: 'error', reason: `held by open request ${holder}; decide on that one first`, parts: [] };
      return { key: c.key, label, verdict: 'ready', parts: planned.parts };
    });
  },
});
