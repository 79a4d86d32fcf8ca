/**
 * Summarises a V8 sampling heap profile (node --heap-prof, e.g. from bench/turn-latency.ts --heap-prof): the
 * sampled objects still live when the process exited, by package and by the innermost function of this
 * repository on the stack that allocated them (what the bot keeps: loaded code, caches, tables). For the
 * garbage a turn makes, use the GC trace instead (BENCH_BOT_NODE_ARGS=--trace-gc-nvp, see bench/lib/child.ts).
 *
 *   npx tsx bench/lib/heapprofile-summary.ts bench/results/heap-profiles/switchboard-r1 [--top 25]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { where } from './cpuprofile-summary';

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  let file = positionals[0];
  if (!file) throw new Error('usage: heapprofile-summary <file.heapprofile | directory> [--top N]');
  if (fs.statSync(file).isDirectory()) {
    const found = fs.readdirSync(file).filter((f) => f.endsWith('.heapprofile')).map((f) => `${file}/${f}`);
    // The main thread's is the largest (tsx's module-hooks thread writes one of its own).
    found.sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
    if (!found[0]) throw new Error(`no .heapprofile in ${file}`);
    file = found[0];
  }
  const top = Number(values.top);
  const root = (JSON.parse(fs.readFileSync(file, 'utf8')) as { head: HeapNode }).head;
  const byPackage = new Map<string, number>();
  const byOwnFrame = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode, stack: HeapNode['callFrame'][]) => {
    const frames = [...stack, node.callFrame];
    if (node.selfSize > 0) {
      total += node.selfSize;
      const pkg = where(node.callFrame.url);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + node.selfSize);
      const own = [...frames].reverse().find((f) => f.url.includes('/src/') && !f.url.includes('node_modules'));
      const label = own ? `${own.functionName || '(anonymous)'} ${where(own.url)}:${own.lineNumber + 1}` : '(no frame of ours)';
      byOwnFrame.set(label, (byOwnFrame.get(label) ?? 0) + node.selfSize);
    }
    for (const c of node.children) walk(c, frames);
  };
  walk(root, []);
  const print = (title: string, m: Map<string, number>) => {
    console.log(`\n${title}`);
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).forEach(([k, v]) => console.log(`${(v / 1e6).toFixed(1).padStart(8)} MB ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`));
  };
  console.log(`${file}: ${(total / 1e6).toFixed(1)} MB live at exit (V8 sampling heap profiler)`);
  print('live, by the package that allocated it', byPackage);
  print('live, by our innermost function on the allocating stack', byOwnFrame);
}

main();
