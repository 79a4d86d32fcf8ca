/**
 * The subset of Get-CsOnlineUser -Filter that Switchboard sends: clauses `Property -eq|-ne|-like 'value'`
 * (or $true/$false), joined by -or / -and (left to right, no precedence, no parentheses). Anything else is
 * refused the way the service refuses a filter it cannot parse.
 */
import { likePattern } from './identity';

export type Clause = { property: string; op: 'eq' | 'ne' | 'like'; value: string | boolean };
export type Join = 'and' | 'or';

const clausePattern = /^\s*([A-Za-z]+)\s+-(eq|ne|like)\s+(?:'((?:[^']|'')*)'|\$(true|false))\s*/i;
const joinPattern = /^-(and|or)\s+/i;

export function parseFilter(filter: string): { clauses: Clause[]; joins: Join[] } {
  const clauses: Clause[] = [];
  const joins: Join[] = [];
  let rest = filter.trim();
  for (;;) {
    const m = clausePattern.exec(rest);
    if (!m) throw new Error(`Invalid filter: "${filter}".`);
    const value = m[4] !== undefined ? m[4].toLowerCase() === 'true' : (m[3] ?? '').replace(/''/g, "'");
    clauses.push({ property: m[1]!, op: m[2]!.toLowerCase() as Clause['op'], value });
    rest = rest.slice(m[0].length);
    if (rest.length === 0) break;
    const j = joinPattern.exec(rest);
    if (!j) throw new Error(`Invalid filter: "${filter}".`);
    joins.push(j[1]!.toLowerCase() as Join);
    rest = rest.slice(j[0].length);
  }
  return { clauses, joins };
}

function test(clause: Clause, record: Record<string, unknown>): boolean {
  const actual = record[Object.keys(record).find((k) => k.toLowerCase() === clause.property.toLowerCase()) ?? ''];
  if (typeof clause.value === 'boolean') return clause.op === 'ne' ? actual !== clause.value : actual === clause.value;
  const text = actual === null || actual === undefined ? '' : String(actual);
  if (clause.op === 'like') return likePattern(clause.value).test(text);
  const equal = text.toLowerCase() === clause.value.toLowerCase();
  return clause.op === 'eq' ? equal : !equal;
}

export function matchesFilter(filter: ReturnType<typeof parseFilter>, record: Record<string, unknown>): boolean {
  let result = test(filter.clauses[0]!, record);
  filter.joins.forEach((join, i) => {
    const next = test(filter.clauses[i + 1]!, record);
    result = join === 'and' ? result && next : result || next;
  });
  return result;
}
