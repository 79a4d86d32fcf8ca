/**
 * The container runs Switchboard as `npm run start:prod` does, node flags included: the benchmark measures
 * Switchboard with start:prod's flags (bench/turn-latency.ts), so the image must not run it differently.
 */
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const repo = path.resolve(__dirname, '..');

describe('deploy/Dockerfile', () => {
  it('runs the command of npm run start:prod, with the same node flags', () => {
    const scripts = z.object({ scripts: z.record(z.string(), z.string()) }).parse(JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'))).scripts;
    const startProd = (scripts['start:prod'] ?? '').trim().split(/\s+/);
    const cmdLine = fs.readFileSync(path.join(repo, 'deploy', 'Dockerfile'), 'utf8').split('\n').filter((l) => l.startsWith('CMD '));
    assert.equal(cmdLine.length, 1, 'one CMD');
    const cmd = z.array(z.string()).parse(JSON.parse(cmdLine[0]!.slice('CMD '.length)));
    assert.deepEqual(cmd, startProd);
    assert.equal(cmd[0], 'node');
    assert.equal(cmd.at(-1), 'dist/src/main.js');
    assert.ok(cmd.includes('--max-semi-space-size=16'), 'the young generation held to 2 x 16 MB on every Node');
  });
});
