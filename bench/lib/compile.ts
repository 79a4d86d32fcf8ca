/**
 * Compiles the bots a benchmark starts, as production runs Switchboard (the Dockerfile's
 * `node dist/src/main.js`): plain node on tsc's JavaScript, no tsx in the process. tsx transpiles each
 * file as it loads and keeps its source map, so under tsx a bot's memory and first turns carry the
 * size of its own source tree (Switchboard's hundreds of files against the echo bot's one).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const repo = path.resolve(__dirname, '..', '..');

export interface CompiledBench {
  /** The compiled .js of a .ts file in the repository. */
  entry(tsFile: string): string;
  remove(): void;
}

/**
 * tsc over src/ and bench/ into a temporary directory, with the files the code reads at run time beside it.
 * `extra`: entries outside those (a --candidate kept among the git-ignored results).
 */
export function compileBench(extra: readonly string[] = []): CompiledBench {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-build-'));
  const config = path.join(out, 'tsconfig.json');
  fs.writeFileSync(config, JSON.stringify({
    extends: path.join(repo, 'tsconfig.json'),
    compilerOptions: { rootDir: repo, outDir: path.join(out, 'js'), typeRoots: [path.join(repo, 'node_modules', '@types')], sourceMap: false, incremental: false },
    include: [path.join(repo, 'src'), path.join(repo, 'bench')],
    files: extra.map((f) => path.resolve(f)),
    // Raw results and scratch files, not the benchmark.
    exclude: [path.join(repo, 'bench', 'results')],
  }));
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', config], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (err) {
    fs.rmSync(out, { recursive: true, force: true });
    const output = (err as { stdout?: Buffer }).stdout?.toString('utf8') ?? '';
    throw new Error(`tsc failed for the benchmark build:\n${output.slice(0, 4000)}`);
  }
  // As scripts/copy-assets.js does for dist/: what the compiled code reads, at the same relative place.
  for (const [from, to] of [['cards', 'cards'], ['tenant-stub', 'tenant-stub'], ['src/playground/page', 'src/playground/page']] as const) {
    fs.cpSync(path.join(repo, from), path.join(out, 'js', to), { recursive: true });
  }
  // node_modules resolve from the compiled files' directory upwards: link the repository's.
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(out, 'js', 'node_modules'), 'dir');
  return {
    entry(tsFile) {
      const relative = path.relative(repo, path.resolve(tsFile));
      if (relative.startsWith('..')) throw new Error(`${tsFile} is outside the repository`);
      const js = path.join(out, 'js', relative.replace(/\.ts$/, '.js'));
      if (!fs.existsSync(js)) throw new Error(`${tsFile} was not compiled (${js} missing)`);
      return js;
    },
    remove() {
      fs.rmSync(out, { recursive: true, force: true });
    },
  };
}
