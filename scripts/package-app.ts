/**
 * `npm run package`: builds the Teams app package (manifest.json, color.png, outline.png at the zip's
 * root) from manifest/manifest.template.json, with the ids from the configuration (environment or .env),
 * validates it offline against the schema @microsoft/app-manifest bundles, and writes the zip.
 *   npm run package                 -> dist/switchboard-teams-app.zip
 *   npm run package -- --out x.zip
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { zipSync } from 'fflate';
import { z } from 'zod';

const root = path.resolve(__dirname, '..');
export const manifestDir = path.join(root, 'manifest');
export const defaultOutput = path.join(root, 'dist', 'switchboard-teams-app.zip');

const guid = z.string().trim().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID');
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const https = z.string().url().refine((u) => u.startsWith('https://'), 'must be an https:// URL');

/** The settings the package needs; the rest of the template is fixed. */
export const PackageConfig = z
  .object({
    MicrosoftAppId: z.preprocess(blank, guid.optional()),
    TEAMS_APP_MANIFEST_ID: z.preprocess(blank, guid.optional()),
    TEAMS_APP_DEVELOPER_NAME: z.preprocess(blank, z.string().max(32).default('Switchboard')),
    TEAMS_APP_WEBSITE_URL: z.preprocess(blank, https.default('https://switchboard.example.com')),
    TEAMS_APP_PRIVACY_URL: z.preprocess(blank, https.default('https://switchboard.example.com/privacy')),
    TEAMS_APP_TERMS_URL: z.preprocess(blank, https.default('https://switchboard.example.com/terms')),
  })
  .superRefine((c, ctx) => {
    if (!c.MicrosoftAppId) ctx.addIssue({ code: 'custom', path: ['MicrosoftAppId'], message: "is required: the Azure Bot's app id, which the package names as its bot" });
  });
export type PackageConfig = z.output<typeof PackageConfig>;

function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/** The template with each "{{NAME}}" string value replaced; a value is data, never re-read as a token. */
export function renderManifest(config: PackageConfig, template = JSON.parse(fs.readFileSync(path.join(manifestDir, 'manifest.template.json'), 'utf8')) as unknown): Record<string, unknown> {
  const values: Record<string, string> = {
    MicrosoftAppId: config.MicrosoftAppId!,
    // One id for the app and its bot unless the admin keeps them apart.
    TEAMS_APP_MANIFEST_ID: config.TEAMS_APP_MANIFEST_ID ?? config.MicrosoftAppId!,
    TEAMS_APP_DEVELOPER_NAME: config.TEAMS_APP_DEVELOPER_NAME,
    TEAMS_APP_WEBSITE_URL: config.TEAMS_APP_WEBSITE_URL,
    TEAMS_APP_PRIVACY_URL: config.TEAMS_APP_PRIVACY_URL,
    TEAMS_APP_TERMS_URL: config.TEAMS_APP_TERMS_URL,
    version: packageVersion(),
  };
  const fill = (node: unknown): unknown => {
    if (typeof node === 'string') {
      const m = /^\{\{(\w+)\}\}$/.exec(node);
      if (!m) return node;
      const v = values[m[1]!];
      if (v === undefined) throw new Error(`manifest.template.json names an unknown setting {{${m[1]}}}`);
      return v;
    }
    if (Array.isArray(node)) return node.map(fill);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    return node;
  };
  return fill(template) as Record<string, unknown>;
}

export class PackageError extends Error {}

export async function buildAppPackage(env: Record<string, string | undefined>): Promise<{ zip: Uint8Array; manifest: Record<string, unknown> }> {
  const parsed = PackageConfig.safeParse(env);
  if (!parsed.success) throw new PackageError(`Cannot build the Teams app package:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  const manifest = renderManifest(parsed.data);
  const errors = await AppManifestUtils.validateAgainstSchema(manifest as never);
  if (errors.length > 0) throw new PackageError(`The manifest fails its schema (${String(manifest.$schema)}):\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  const zip = zipSync({
    'manifest.json': new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`),
    'color.png': fs.readFileSync(path.join(manifestDir, 'color.png')),
    'outline.png': fs.readFileSync(path.join(manifestDir, 'outline.png')),
  });
  return { zip, manifest };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: defaultOutput } } });
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  try {
    const { zip, manifest } = await buildAppPackage(process.env);
    const out = path.resolve(values.out!);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, zip);
    const bot = (manifest.bots as { botId: string }[])[0]!.botId;
    console.log(`Wrote ${path.relative(process.cwd(), out)} (manifest ${String(manifest.manifestVersion)}, app ${String(manifest.id)}, bot ${bot}). Upload it in Teams: Apps > Manage your apps > Upload an app.`);
  } catch (err) {
    if (!(err instanceof PackageError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

if (require.main === module) void main();
