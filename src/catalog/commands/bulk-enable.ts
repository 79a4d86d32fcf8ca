/**
 * bulk enable: many users from a CSV (header user,number,site,international, and policy for Direct
 * Routing) under one approval. Each row becomes the change commands it needs (enable-voice, assign-site,
 * international-calling; with a policy, assign-number, or move-to-direct-routing for a Cloud Connector
 * user without a number in the row), each planned by that command's own plan(), so a row obeys exactly the
 * rules a single request does. A row
 * already in the wanted state is skipped (a re-run skips what is done); a bad row gets its one-line
 * reason and does not stop the others.
 *
 * Planning reads the tenant for every row. On PowerShell each read is a round trip, so each distinct
 * read is made once (the parts read the same user several times), several at a time, and the number
 * holders of a large batch come from one read; the parts' plans are answered from that cache.
 */
import type { parse as ParseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { oneLine, Refusal } from '../../errors';
import { lazy } from '../../lazy';
import { openStatuses } from '../../model/request';
import type { OnlineUser } from '../../tenant/cmdlets';
import { distance, exactUserRead, findUsers, readUsers } from '../../tenant/directory';
import { TenantError } from '../../tenant/port';
import { ReadCache } from '../../tenant/read-cache';
import { defineCommand, type BatchItem, type ChangeCommand, type Command, type CommandContext } from '../command';
import { numberHolders, SiteName, TelUri } from '../fields';
import { numberLock } from '../plans';
import { assignNumber } from './assign-number';
import { assignSite } from './assign-site';
import { moveToDirectRouting } from './move-to-direct-routing';
import { enableVoice } from './enable-voice';
import { internationalCalling } from './international-calling';

/** Rows in one batch at most: one approver reads the preview, and one lease covers the run. */
export const maxRows = 5_000;
const maxCsvChars = 1024 * 1024;

const Input = z.object({
  csv: z.string({ error: 'Paste the CSV (user,number,site,international) or attach it.' }).max(maxCsvChars, 'The CSV is larger than 1 MB; split it into smaller files.'),
});
type Input = z.infer<typeof Input>;

type Column = 'user' | 'number' | 'site' | 'international' | 'policy';
/** Header names admins use for each column, compared without case, spaces, dashes or underscores. */
const headerNames: Record<Column, string[]> = {
  user: ['user', 'users', 'upn', 'userprincipalname', 'username', 'identity', 'sipaddress', 'email'],
  number: ['number', 'phonenumber', 'phone', 'lineuri', 'onpremlineuri', 'tel', 'telephonenumber', 'did'],
  site: ['site', 'pstnsite', 'hybridpstnsite'],
  international: ['international', 'internationalcalls', 'internationalcalling', 'allowinternationalcalls', 'intl'],
  policy: ['policy', 'onlinevoiceroutingpolicy', 'voiceroutingpolicy', 'routingpolicy'],
};
const expectedHeader = 'user,number,site,international';

interface Row {
  /** 1-based, the first row after the header. */
  row: number;
  user: string;
  number: string;
  site: string;
  international: string;
  /** An online voice routing policy: the row is for Direct Routing. */
  policy: string;
}

/** The separator the header line uses: `;` (as Excel writes it in many locales), tab or `,`. */
function separatorOf(text: string): string {
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  const counts = [';', '\t', ','].map((s) => ({ s, n: unquoted.split(s).length - 1 }));
  const best = counts.sort((a, b) => b.n - a.n)[0]!;
  return best.n > 0 ? best.s : ',';
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when a CSV is first read (see ../../lazy)
const parseCsv = lazy(() => (require('csv-parse/sync') as { parse: typeof ParseCsv }).parse);

/** The CSV's rows, forgiving about header case and spacing, `;` separators, a BOM and quoted fields. */
export function readRows(text: string): Row[] {
  let records: string[][];
  try {
    records = parseCsv()(text, { delimiter: separatorOf(text), bom: true, trim: true, skip_empty_lines: true, relax_column_count: true }) as string[][];
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
  if (position.user === undefined || (position.number === undefined && position.site === undefined && position.international === undefined && position.policy === undefined)) {
    throw new Refusal('invalid-input', oneLine(`The CSV needs a header row ${expectedHeader} (user and at least one other); its first row is "${header.join(',')}".`, 200));
  }
  if (body.length === 0) throw new Refusal('missing-input', 'The CSV has a header but no rows.');
  if (body.length > maxRows) throw new Refusal('invalid-input', `A batch is at most ${maxRows.toLocaleString('en-US')} rows; this CSV has ${body.length.toLocaleString('en-US')}. Split it into smaller files.`);
  const cell = (r: string[], c: Column) => (position[c] === undefined ? '' : (r[position[c]!] ?? '').trim());
  return body.map((r, i) => ({ row: i + 1, user: cell(r, 'user'), number: cell(r, 'number'), site: cell(r, 'site'), international: cell(r, 'international'), policy: cell(r, 'policy') }));
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

const isGuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isAddress = (v: string) => v.includes('@') || isGuid.test(v);

/**
 * The users a row's text names, exactly: a UPN, SIP address or object id read by identity, a display
 * name by an exact filter. No word matching in a batch: a name that is not exact is the row's error.
 */
function exactUsers(tenant: ReadCache, name: string): Promise<OnlineUser[]> {
  return readUsers(tenant, exactUserRead(name));
}

/** The users an identity names in a directory read once, as the cmdlets resolve -Identity (exact only). */
function inDirectory(directory: readonly OnlineUser[], name: string): OnlineUser[] {
  const n = name.toLowerCase();
  if (isGuid.test(name)) return directory.filter((u) => u.Identity.toLowerCase() === n);
  if (n.startsWith('sip:')) return directory.filter((u) => (u.SipAddress ?? '').toLowerCase() === n);
  if (n.includes('@')) return directory.filter((u) => u.UserPrincipalName.toLowerCase() === n || (u.SipAddress ?? '').toLowerCase() === `sip:${n}`);
  return directory.filter((u) => u.DisplayName.toLowerCase() === n || (u.Alias ?? '').toLowerCase() === n);
}

/**
 * Who holds each number, primed as enable-voice's own holder check, from the users read already
 * (the whole directory) or, past a few numbers, from one read of every user with a number, which
 * costs less than a filtered read per number; a few numbers are read as the check reads them, together.
 */
async function primeNumberHolders(tenant: ReadCache, numbers: readonly string[], directory: readonly OnlineUser[] | undefined): Promise<void> {
  const bare = [...new Set(numbers.map((n) => n.replace(/;ext=.*$/i, '')))];
  if (!directory && bare.length <= 10) return tenant.prefetch(bare.map(numberHolders));
  const numbered = directory ?? (await tenant.run('Get-CsOnlineUser', { Filter: "LineURI -like 'tel:*'" })).output;
  const byNumber = new Map<string, OnlineUser[]>();
  for (const u of numbered) {
    const n = (u.LineURI ?? '').toLowerCase();
    if (n) byNumber.set(n, [...(byNumber.get(n) ?? []), u]);
  }
  for (const n of bare) tenant.prime('Get-CsOnlineUser', numberHolders(n).params, (byNumber.get(n.toLowerCase()) ?? []).slice(0, 5));
}

/** Names that match no one get the closest names up to this many times per batch (each costs a scan of the directory). */
const closestHints = 25;

/** " (closest: Bob Kelly)" for a name that matches no one: from the directory read, or as a single request finds it. */
async function closest(tenant: ReadCache, directory: readonly OnlineUser[] | undefined, name: string): Promise<string> {
  if (directory) {
    const q = name.toLowerCase();
    const names = directory
      .map((u) => ({ u, d: Math.min(distance(q, u.DisplayName), distance(q, u.UserPrincipalName)) }))
      .filter((c) => c.d <= Math.max(2, Math.floor(q.length / 3)))
      .sort((a, b) => a.d - b.d)
      .slice(0, 3)
      .map((c) => c.u.UserPrincipalName);
    return names.length ? ` (closest: ${names.join(', ')})` : '';
  }
  const near = await findUsers(tenant, name);
  if (near.kind === 'none') return near.closest.length ? ` (closest: ${near.closest.join(', ')})` : '';
  return near.kind === 'one' ? ` (did you mean ${near.user.UserPrincipalName}?)` : '';
}

/** Past this many users a batch reads the directory once instead of each user by identity. */
const directoryReadFrom = 50;

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
  summary: 'Enable many users from a CSV (user,number,site,international; policy for Direct Routing) under one approval, with a verdict and a result per row.',
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
    const cache = new ReadCache(ctx.tenant);
    const planning: CommandContext = { ...ctx, tenant: cache };

    // Every distinct user once: a large batch reads the directory in one go (one round trip instead of
    // one per row), a small one reads each user by identity, a few at a time.
    const names = [...new Set(rows.map((r) => r.user).filter((u) => u !== '' && !u.includes('*')))];
    const directory = names.length >= directoryReadFrom ? (await cache.run('Get-CsOnlineUser', {})).output : undefined;
    const users = new Map<string, OnlineUser[]>();
    await mapLimit(names, 4, async (name) => {
      const found = directory ? inDirectory(directory, name) : await exactUsers(cache, name);
      users.set(name.toLowerCase(), found);
      // The parts read the user again by UPN: answered from here.
      for (const u of found) cache.prime('Get-CsOnlineUser', { Identity: u.UserPrincipalName }, [u]);
    });
    const held = await heldLocks(ctx, input);
    const seenUser = new Map<string, number>();
    const seenNumber = new Map<string, number>();
    const numbers: string[] = [];
    let hints = 0;

    // First pass: each row's own checks (fields, the user, duplicates), in file order.
    const checked = await mapLimit(rows, 4, async (row): Promise<{ row: Row; key: string; wants?: Want[]; error?: string }> => {
      if (row.user === '') return { row, key: '', error: 'no user given' };
      if (row.user.includes('*')) return { row, key: row.user, error: `"${row.user}" is a pattern; give one user per row (a UPN)` };
      let matches = users.get(row.user.toLowerCase()) ?? [];
      // A directory read may not hold every user (a cap on a large tenant): an address is read by identity.
      if (matches.length === 0 && directory && isAddress(row.user)) matches = await exactUsers(cache, row.user);
      if (matches.length > 1) return { row, key: row.user, error: `"${row.user}" matches ${matches.length} users; give the UPN` };
      if (matches.length === 0) {
        const hint = hints++ < closestHints ? await closest(cache, directory, row.user) : '';
        return { row, key: row.user, error: `no user matches "${row.user}"${hint}` };
      }
      const upn = matches[0]!.UserPrincipalName;
      const wants: Want[] = [];
      if (row.policy !== '') {
        // Direct Routing: the policy decides where calls go and which may be made, so a site or international column has no place.
        if (row.site !== '' || row.international !== '') return { row, key: upn.toLowerCase(), error: 'a Direct Routing row (with a policy) takes no site or international: the policy decides', wants: [] };
        if (row.number === '') {
          wants.push({ command: moveToDirectRouting, params: { user: upn, policy: row.policy } });
          return { row, key: upn.toLowerCase(), wants };
        }
        const number = TelUri.safeParse(row.number);
        if (!number.success) return { row, key: upn.toLowerCase(), error: number.error.issues[0]?.message ?? 'not a phone number', wants: [] };
        wants.push({ command: assignNumber, params: { user: upn, number: number.data, policy: row.policy } });
        return { row, key: upn.toLowerCase(), wants };
      }
      if (row.number !== '') {
        const number = TelUri.safeParse(row.number);
        if (!number.success) return { row, key: upn.toLowerCase(), error: number.error.issues[0]?.message ?? 'not a phone number', wants: [] };
        wants.push({ command: enableVoice, params: { user: upn, number: number.data } });
      }
      if (row.site !== '') {
        const site = SiteName.safeParse(row.site);
        if (!site.success) return { row, key: upn.toLowerCase(), error: site.error.issues[0]?.message ?? 'not a site name', wants: [] };
        wants.push({ command: assignSite, params: { user: upn, site: site.data } });
      }
      const mode = internationalMode(row.international);
      if (mode instanceof Error) return { row, key: upn.toLowerCase(), error: mode.message, wants: [] };
      if (mode) wants.push({ command: internationalCalling, params: { user: upn, mode } });
      if (wants.length === 0) return { row, key: upn.toLowerCase(), error: 'nothing asked: give a number, a site, international yes/no or a policy', wants };
      return { row, key: upn.toLowerCase(), wants };
    });
    // Duplicates: the first row that names a user (or a number) keeps it; a later one is in error, even
    // when the first is in error itself, since the file does not say which one is meant.
    for (const c of checked) {
      if (!c.wants) continue;
      const firstUser = seenUser.get(c.key);
      if (firstUser !== undefined) {
        c.error ??= `${c.key} is also on row ${firstUser}`;
        continue;
      }
      seenUser.set(c.key, c.row.row);
      const number = c.wants.find((w) => w.command === enableVoice || w.command === assignNumber)?.params.number as string | undefined;
      if (!number) continue;
      const firstNumber = seenNumber.get(numberLock(number));
      if (firstNumber !== undefined) {
        c.error ??= `the number ${number.replace(/^tel:/, '')} is also on row ${firstNumber}`;
        continue;
      }
      seenNumber.set(numberLock(number), c.row.row);
      if (!c.error) numbers.push(number);
    }

    // Who holds each number, fetched ahead for a large batch.
    await primeNumberHolders(cache, numbers, directory);

    // Second pass: each part planned by its own command (the rules of a single request, row by row).
    return mapLimit(checked, 4, async (c): Promise<BatchItem> => {
      const label = `row ${c.row.row}: ${c.key || '(no user)'}`;
      if (c.error || !c.wants?.length) return { key: c.key, label, verdict: 'error', reason: c.error ?? 'not valid', parts: [] };
      const planned = await planRow(planning, c.wants);
      if ('error' in planned) return { key: c.key, label, verdict: 'error', reason: planned.error, parts: [] };
      if (planned.parts.length === 0) return { key: c.key, label, verdict: 'skip', reason: 'already in the wanted state', parts: [] };
      const holder = planned.parts.flatMap((p) => p.plan.locks).map((l) => held.get(l)).find(Boolean);
      if (holder) return { key: c.key, label, verdict: 'error', reason: `held by open request ${holder}; decide on that one first`, parts: [] };
      return { key: c.key, label, verdict: 'ready', parts: planned.parts };
    });
  },
});
