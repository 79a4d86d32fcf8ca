import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { unzipSync } from 'fflate';
import { commands } from '../src/catalog/index';
import { buildAppPackage, renderManifest, PackageConfig } from '../scripts/package-app';
import { tempDir } from './support/temp-dirs';

const botId = '8f0e6c1a-2b3d-4e5f-9a0b-1c2d3e4f5a6b';
const appId = '0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f';

interface Png {
  width: number;
  height: number;
  /** RGBA, row by row. */
  pixels: Buffer;
}

/** Decodes an 8-bit RGBA, non-interlaced PNG (what the icons are) without a dependency. */
function decodePng(b: Buffer): Png {
  assert.equal(b.subarray(1, 4).toString('ascii'), 'PNG');
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  assert.deepEqual([b[24], b[25], b[28]], [8, 6, 0], '8-bit RGBA, not interlaced');
  const idat: Buffer[] = [];
  for (let at = 8; at < b.length; ) {
    const length = b.readUInt32BE(at);
    if (b.toString('ascii', at + 4, at + 8) === 'IDAT') idat.push(b.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? pixels[y * stride + x - 4]! : 0;
      const up = y > 0 ? pixels[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? pixels[(y - 1) * stride + x - 4]! : 0;
      const p = a + up - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - up) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - up) <= Math.abs(p - c) ? up : c;
      const predictor = [0, a, up, (a + up) >> 1, paeth][filter];
      assert.ok(predictor !== undefined, `PNG filter ${filter}`);
      pixels[y * stride + x] = (v + predictor) & 0xff;
    }
  }
  return { width, height, pixels };
}

describe('the Teams app package', () => {
  const template = JSON.parse(fs.readFileSync('manifest/manifest.template.json', 'utf8')) as { manifestVersion: string; $schema: string };
  const env = { MicrosoftAppId: botId, TEAMS_APP_MANIFEST_ID: appId };

  it('is on manifest schema 1.22, the current one', () => {
    assert.equal(template.manifestVersion, '1.22');
    assert.equal(template.$schema, 'https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json');
  });

  it('builds a manifest that the schema bundled by @microsoft/app-manifest accepts, with the ids from the configuration', async () => {
    const { manifest } = await buildAppPackage(env);
    assert.deepEqual(await AppManifestUtils.validateAgainstSchema(manifest as never), []);
    assert.equal(manifest.id, appId);
    const bot = (manifest.bots as { botId: string; scopes: string[]; supportsFiles: boolean }[])[0]!;
    assert.equal(bot.botId, botId);
    assert.deepEqual(bot.scopes, ['personal', 'team', 'groupChat']);
    assert.equal(bot.supportsFiles, true, 'a CSV can be sent to the bot in a 1:1 chat');
    assert.equal(manifest.version, (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string }).version);
    assert.ok(!JSON.stringify(manifest).includes('{{'), 'no placeholder left');
  });

  it('uses the bot id as the app id unless TEAMS_APP_MANIFEST_ID is set, and refuses to build without MicrosoftAppId', async () => {
    assert.equal(renderManifest(PackageConfig.parse({ MicrosoftAppId: botId })).id, botId);
    await assert.rejects(buildAppPackage({}), /MicrosoftAppId: is required/);
    await assert.rejects(buildAppPackage({ MicrosoftAppId: 'not-a-guid' }), /MicrosoftAppId: must be a GUID/);
  });

  it('would be refused by the schema with the lowercase "groupchat" scope many samples use', async () => {
    const { manifest } = await buildAppPackage(env);
    (manifest.bots as { scopes: string[] }[])[0]!.scopes.push('groupchat');
    const errors = await AppManifestUtils.validateAgainstSchema(manifest as never);
    assert.ok(errors.some((e) => e.includes('/bots/0/scopes')), errors.join('\n'));
  });

  it('lists each main command, and only commands the grammar knows', async () => {
    const { manifest } = await buildAppPackage(env);
    const lists = (manifest.bots as { commandLists: { scopes: string[]; commands: { title: string; description: string }[] }[] }[])[0]!.commandLists;
    const titles = lists.flatMap((l) => l.commands.map((c) => c.title));
    for (const main of ['help', 'status', 'enable voice for', 'pending', 'history', 'checklist', 'bulk enable']) assert.ok(titles.includes(main), `the command list has ${main}`);
    const heads = commands.map((c) => c.usage.split(/ [<[]/)[0]!);
    for (const t of titles) assert.ok(heads.includes(t), `"${t}" is a command the grammar knows`);
    for (const l of lists) assert.deepEqual(l.scopes, ['personal', 'team', 'groupChat']);
  });

  it('ships a 192×192 colour icon and a 32×32 outline icon, white on transparent', () => {
    const color = decodePng(fs.readFileSync('manifest/color.png'));
    assert.deepEqual([color.width, color.height], [192, 192]);
    const outline = decodePng(fs.readFileSync('manifest/outline.png'));
    assert.deepEqual([outline.width, outline.height], [32, 32]);
    let opaque = 0;
    for (let i = 0; i < outline.pixels.length; i += 4) {
      const [r, g, b, a] = outline.pixels.subarray(i, i + 4);
      if (a === 0) continue;
      opaque++;
      assert.deepEqual([r, g, b], [255, 255, 255], `outline pixel ${i / 4} is white or fully transparent`);
    }
    assert.ok(opaque > 0 && opaque < 32 * 32, 'the outline has a shape and a transparent background');
  });

  it('`npm run package` writes a zip with manifest.json, color.png and outline.png at its root', () => {
    const out = path.join(tempDir('package'), 'app.zip');
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/package-app.ts', '--out', out], { env: { ...process.env, ...env }, encoding: 'utf8' });
    const files = unzipSync(fs.readFileSync(out));
    assert.deepEqual(Object.keys(files).sort(), ['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json'])) as { id: string };
    assert.equal(manifest.id, appId);
    assert.deepEqual(Buffer.from(files['color.png']!), fs.readFileSync('manifest/color.png'));
    assert.deepEqual(Buffer.from(files['outline.png']!), fs.readFileSync('manifest/outline.png'));
  });
});
