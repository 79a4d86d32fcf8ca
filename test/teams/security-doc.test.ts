/** docs/security.md names tests that exist: every threat's test file, and the test titles it quotes. */
import assert from 'node:assert/strict';
import fs from 'node:fs';

describe('docs/security.md', () => {
  const doc = fs.readFileSync('docs/security.md', 'utf8');

  it('names only test files that exist, and quotes only test titles they hold', () => {
    let checked = 0;
    for (const row of doc.split('\n').filter((l) => l.startsWith('|'))) {
      const files = [...row.matchAll(/`(test\/[\w/.-]+\.test\.ts)`/g)].map((m) => m[1]!);
      for (const f of files) assert.ok(fs.existsSync(f), `${f} does not exist`);
      if (files.length === 0) continue;
      const text = files.map((f) => fs.readFileSync(f, 'utf8').replace(/\\'/g, "'")).join('\n');
      for (const quoted of [...row.matchAll(/"([^"]+)"/g)].map((m) => m[1]!)) {
        if (/^[A-Z][a-z]+\.$|^Send the|application\/json/.test(quoted)) continue; // answers, not titles
        for (const piece of quoted.split(/…|\/|;/).map((p) => p.trim()).filter((p) => p.length > 8)) {
          assert.ok(text.includes(piece), `"${piece}" is not a test title in ${files.join(', ')}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 15, `checked ${checked} titles`);
  });

  it('keeps the headed places for the approval and audit paths', () => {
    assert.match(doc, /^## Approval path$/m);
    assert.match(doc, /^## Audit path$/m);
  });
});
