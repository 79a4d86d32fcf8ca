import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { commands } from '../src/catalog/index';

function pngSize(file: string): { width: number; height: number; colorType: number } {
  const b = fs.readFileSync(file);
  assert.equal(b.subarray(1, 4).toString('ascii'), 'PNG', `${file} is a PNG`);
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20), colorType: b[25]! };
}

describe('the Teams app manifest', () => {
  const manifest = JSON.parse(fs.readFileSync('manifest/manifest.json', 'utf8')) as Record<string, unknown> & {
    bots: { scopes: string[]; commandLists: { scopes: string[]; commands: { title: string; description: string }[] }[] }[];
  };

  it('has the fields schema 1.22 requires, and valid scopes', () => {
    for (const key of ['manifestVersion', 'version', 'id', 'developer', 'name', 'description', 'icons', 'accentColor']) assert.ok(key in manifest, key);
    assert.equal(manifest.manifestVersion, '1.22');
    for (const s of manifest.bots[0]!.scopes) assert.ok(['team', 'personal', 'groupChat'].includes(s), s);
  });

  it('lists the commands the grammar knows, within the length limits', () => {
    const titles = manifest.bots[0]!.commandLists[0]!.commands.map((c) => c.title);
    const heads = new Set(commands.map((c) => c.usage.split(' <')[0]!.split(' [')[0]!.split('|')[0]!));
    for (const t of titles) assert.ok(heads.has(t), `manifest command ${t} is not in the catalog`);
    for (const c of manifest.bots[0]!.commandLists[0]!.commands) assert.ok(c.title.length <= 128 && c.description.length <= 4000);
  });

  it('ships a 192×192 colour icon and a 32×32 outline icon with transparency', () => {
    assert.deepEqual(pngSize('manifest/color.png').width, 192);
    assert.deepEqual(pngSize('manifest/color.png').height, 192);
    const outline = pngSize('manifest/outline.png');
    assert.deepEqual([outline.width, outline.height, outline.colorType], [32, 32, 6]);
  });
});
