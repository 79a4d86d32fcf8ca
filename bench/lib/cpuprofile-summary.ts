/**
 * Summarises a V8 .cpuprofile (node --cpu-prof, e.g. from bench/turn-latency.ts --cpu-prof): self time
 * by package and the top functions by self and by inclusive time.
 *
 *   npx tsx bench/lib/cpuprofile-summary.ts bench/results/profiles/switchboard-r1 [--top 25] [--match text]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** A frame's package, `node core`, `(native)` or `src/<folder>`. */
export function where(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node core';
  const src = url.indexOf('/src/');
  if (src >= 0) return `src/${url.slice(src + 5).split('/')[0]}`;
  return url.replace(/^file:\/\//, '');
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, match: { type: 'string' } } });
  let file = positionals[0];
  if (!file) throw new Error('usage: cpuprofile-summary <file.cpuprofile | directory> [--top N] [--match text]');
  if (fs.statSync(file).isDirectory()) {
    // The main thread's profile (thread id 0), not the module-hooks thread's.
    const main = fs.readdirSync(file).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    if (!main) throw new Error(`no main-thread profile (CPU.*.<pid>.0.*.cpuprofile) in ${file}`);
    file = `${file}/${main}`;
  }
  const top = Number(values.top);
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));

  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);
  const busy = total - idle;
  const pct = (v: number) => `${((100 * v) / busy).toFixed(1)} %`;
  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;

  const byPackage = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclusiveByFn = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    const pkg = n.callFrame.functionName === '(garbage collector)' ? '(GC)' : where(n.callFrame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + t);
    selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + t);
    // Inclusive: charge each distinct function on the stack once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      inclusiveByFn.set(l, (inclusiveByFn.get(l) ?? 0) + t);
    }
  }
  const print = (title: string, m: Map<string, number>, filter?: string) => {
    console.log(`\n${title}`);
    [...m.entries()]
      .filter(([k]) => !filter || k.includes(filter))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .forEach(([k, v]) => console.log(`${v.toFixed(0).padStart(7)} ms ${pct(v).padStart(7)}  ${k}`));
  };
  console.log(`${file}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s profiled, busy ${(busy / 1000).toFixed(2)} s, idle ${(idle / 1000).toFixed(2)} s`);
  print('self time by package', byPackage);
  print('self time by function', selfByFn, values.match);
  print('inclusive time by function', inclusiveByFn, values.match);
}

if (require.main === module) main();
