import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { commands } from '../src/catalog/index';

describe('docs/architecture.md', () => {
  const doc = fs.readFileSync('docs/architecture.md', 'utf8');

  it('names every folder under src/', () => {
    const folders = fs.readdirSync('src', { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `src/${e.name}/`);
    for (const f of folders) assert.ok(doc.includes(f), `${f} is missing from the architecture doc`);
  });

  it('names only files that exist', () => {
    for (const m of doc.matchAll(/`(src\/[\w/.-]+\.ts)`/g)) assert.ok(fs.existsSync(m[1]!), `${m[1]} does not exist`);
  });
});

describe('README', () => {
  it('has a Quick start of two commands: run on the simulated tenant, and test', () => {
    const readme = fs.readFileSync('README.md', 'utf8');
    const block = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = block.split('\n').filter((l) => l.trim()).map((l) => l.replace(/\s+#.*$/, '').trim());
    assert.deepEqual(commands, ['npm install && npm start', 'npm test']);
  });
});

describe('docs/commands.md', () => {
  it('documents every command of the catalog under a heading, with an example or its syntax', () => {
    const doc = fs.readFileSync('docs/commands.md', 'utf8');
    const headings = [...doc.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.toLowerCase());
    for (const c of commands) {
      const head = c.usage.split(/ [<[]/)[0]!.toLowerCase();
      assert.ok(headings.some((h) => h.split(' / ').some((part) => head.startsWith(part) || part.startsWith(head))), `docs/commands.md has a section for "${c.usage}"`);
    }
  });
});
