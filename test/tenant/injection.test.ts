/**
 * Hostile values through every free-text parameter of every allow-listed cmdlet: each arrives at the cmdlet byte for
 * byte (the stand-in's journal), nothing else runs (canary files), and every generated script parses to the same
 * command AST with the value confined to one base64 literal. NUL is passed through exactly, like any other character:
 * it is data, and refusing it here but not in the simulated tenant would make the backends disagree.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createPowerShellTenant } from '../../src/tenant/powershell';
import { buildScript, toBase64Json } from '../../src/tenant/powershell/script';
import type { CmdletName } from '../../src/tenant/cmdlets';
import { TenantError } from '../../src/tenant/port';
import { requirePwsh } from '../support/pwsh';
import { contractTenant, tempDir, writeStubState } from './fixtures';

function corpus(canary: (n: number) => string): string[] {
  const c = (n: number) => canary(n).replace(/\\/g, '/');
  return [
    "O'Brien", "''", `'; New-Item -ItemType File -Path '${c(1)}'; '`, '"', `""; $(New-Item -ItemType File -Path "${c(2)}")`,
    '\u2018\u2019\u201A\u201B\u201C\u201D\u201E\u201F', `\u2018; New-Item -ItemType File -Path \u2018${c(3)}\u2019; \u2019`, `\u201C$(New-Item -ItemType File -Path ${c(4)})\u201D`,
    `$(New-Item -ItemType File -Path ${c(5)})`, `@(New-Item -ItemType File -Path ${c(6)})`, '$env:HOME ${env:PATH} $PID $true',
    '`$(whoami)` `n `0 `', `; New-Item -ItemType File -Path ${c(7)}`, `| New-Item -ItemType File -Path ${c(8)}`, `& New-Item -ItemType File -Path ${c(9)}`,
    `&& New-Item -ItemType File -Path ${c(10)}`, `<# x #> New-Item -ItemType File -Path ${c(11)} #>`, '# comment',
    `line1\nNew-Item -ItemType File -Path ${c(12)}\n`, `cr\rNew-Item -ItemType File -Path ${c(13)}\r\n`, 'nul\u0000byte', '\u0000',
    `--% New-Item -ItemType File -Path ${c(14)}`, '-Identity x -Filter y', '@{ a = 1 }', `[IO.File]::WriteAllText('${c(15)}', 'x')`,
    `{ New-Item -ItemType File -Path ${c(16)} }`, `x" + (New-Item -ItemType File -Path ${c(17)}) + "`, '\\\\server\\share\\..\\..',
    'مرحبا بالعالم \u202Eevil\u202C', 'שלום עולם', '日本語のテスト', 'Привет, мир', 'नमस्ते', '👩🏽‍💻🎉 \uFE0F', '\u200B\uFEFF\u00A0',
    ('\'$(x)";`|&<#\u2019'.repeat(400)).slice(0, 4096),
  ];
}

type Slot = { cmdlet: CmdletName; param: string; base: Record<string, unknown> };
const slots: Slot[] = [
  { cmdlet: 'Get-CsOnlineUser', param: 'Identity', base: {} },
  { cmdlet: 'Get-CsOnlineUser', param: 'Filter', base: {} },
  { cmdlet: 'Set-CsUser', param: 'Identity', base: { EnterpriseVoiceEnabled: true } },
  { cmdlet: 'Set-CsUser', param: 'OnPremLineURI', base: { Identity: 'Bob Smith' } },
  { cmdlet: 'Get-CsUserPstnSettings', param: 'Identity', base: {} },
  { cmdlet: 'Set-CsUserPstnSettings', param: 'Identity', base: { AllowInternationalCalls: true } },
  { cmdlet: 'Set-CsUserPstnSettings', param: 'HybridPSTNSite', base: { Identity: 'Bob Smith' } },
  { cmdlet: 'Grant-CsVoiceRoutingPolicy', param: 'Identity', base: { PolicyName: 'InternationalCallsAllowed' } },
  { cmdlet: 'Grant-CsVoiceRoutingPolicy', param: 'PolicyName', base: { Identity: 'Bob Smith' } },
  { cmdlet: 'Get-CsHybridPSTNSite', param: 'Identity', base: {} },
];

const JournalLine = z.object({ pid: z.number(), cmdlet: z.string(), params: z.record(z.string(), z.object({ type: z.string(), utf8: z.string().optional() })) });

const astScript = `
param([string]$In)
$items = Get-Content -Raw -LiteralPath $In | ConvertFrom-Json
$out = foreach ($s in $items) {
  $tokens = $null; $errors = $null
  $ast = [System.Management.Automation.Language.Parser]::ParseInput($s, [ref]$tokens, [ref]$errors)
  $all = $ast.FindAll({ $true }, $true)
  [pscustomobject]@{
    errors = $errors.Count
    shape = (($all | ForEach-Object { $_.GetType().Name }) -join ',')
    commands = @($all | Where-Object { $_ -is [System.Management.Automation.Language.CommandAst] } | ForEach-Object { [string]$_.GetCommandName() })
    literals = @($all | Where-Object { $_ -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $_.StringConstantType -ne 'BareWord' } | ForEach-Object { $_.Value })
    expandable = @($all | Where-Object { $_ -is [System.Management.Automation.Language.ExpandableStringExpressionAst] }).Count
  }
}
ConvertTo-Json -InputObject @($out) -Depth 4 -Compress
`;

describe('hostile values through the PowerShell backend', function () {
  this.timeout(120_000);
  let pwsh: string;
  let dataDir: string;
  const canary = (n: number) => path.join(dataDir, `pwned-${n}`);

  before(function () {
    pwsh = requirePwsh(this);
    dataDir = tempDir('injection');
    writeStubState(dataDir, contractTenant());
  });
  after(() => dataDir && fs.rmSync(dataDir, { recursive: true, force: true }));

  it('delivers every hostile value to the cmdlet byte for byte and runs nothing else', async () => {
    const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir, journal: true } });
    const expected: { cmdlet: string; param: string; value: string }[] = [];
    try {
      for (const slot of slots) {
        for (const value of corpus(canary)) {
          try {
            await tenant.run(slot.cmdlet, { ...slot.base, [slot.param]: value } as never);
          } catch (err) {
            // Refusals by the cmdlet are expected; a dead or hung process is not.
            assert.ok(err instanceof TenantError && ['not-found', 'invalid-parameter', 'cmdlet-error'].includes(err.kind), `${slot.cmdlet} -${slot.param}: ${String(err)}`);
          }
          expected.push({ cmdlet: slot.cmdlet, param: slot.param, value });
        }
      }
    } finally {
      await tenant.close();
    }
    const journal = fs.readFileSync(path.join(dataDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JournalLine.parse(JSON.parse(l)));
    assert.equal(journal.length, expected.length, 'exactly one cmdlet call per request');
    journal.forEach((entry, i) => {
      const want = expected[i]!;
      assert.equal(entry.cmdlet, want.cmdlet);
      const got = entry.params[want.param];
      assert.equal(got?.type, 'string', `${want.cmdlet} -${want.param} #${i}`);
      assert.equal(got?.utf8, Buffer.from(want.value, 'utf8').toString('base64'), `${want.cmdlet} -${want.param} received ${JSON.stringify(want.value).slice(0, 80)} altered`);
    });
    const leftovers = fs.readdirSync(dataDir).filter((f) => f.startsWith('pwned'));
    assert.deepEqual(leftovers, [], 'no injected command ran');
    assert.equal(fs.existsSync(path.join(process.cwd(), 'x')), false);
  });

  it('generates scripts that all parse to the same command AST, the value confined to one base64 literal', () => {
    const marker = 'SBX000000000000000000000000X';
    const cases = slots.flatMap((slot) => corpus(canary).map((value) => ({ slot, params: { ...slot.base, [slot.param]: value } })));
    const scripts = cases.map((c) => buildScript(c.slot.cmdlet, c.params, marker).script);
    for (const s of scripts) {
      assert.equal(s.includes('\n') || s.includes('\r'), false, 'one line');
      assert.equal(/[^\x20-\x7e]/.test(s), false, 'printable ASCII only');
    }
    const input = path.join(dataDir, 'scripts.json');
    const ps1 = path.join(dataDir, 'ast.ps1');
    fs.writeFileSync(input, JSON.stringify(scripts));
    fs.writeFileSync(ps1, astScript);
    const run = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-File', ps1, '-In', input], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    assert.equal(run.status, 0, run.stderr);
    const report = z.array(z.object({ errors: z.number(), shape: z.string(), commands: z.array(z.string()), literals: z.array(z.string()), expandable: z.number() })).parse(JSON.parse(run.stdout));
    const shapes = new Map<string, string>();
    report.forEach((r, i) => {
      const { slot, params } = cases[i]!;
      assert.equal(r.errors, 0);
      assert.equal(r.expandable, 0, 'no double-quoted (expanding) strings');
      // The outer `& { }` has no command name; then the decoder, the allow-listed cmdlet, and the fixed tail.
      assert.deepEqual(r.commands, ['', 'ConvertFrom-Json', slot.cmdlet, 'ForEach-Object', 'ConvertTo-Json', 'ConvertTo-Json']);
      // Exactly one literal outside the fixed template, and it decodes to the parameters themselves.
      const template = ['Stop', 'The result could not be serialised to JSON.', 'SerializationFailed', 'InvalidResult', marker, marker];
      const payloads = r.literals.filter((l) => !template.includes(l));
      assert.equal(payloads.length, 1);
      const payload = payloads[0]!;
      assert.deepEqual(JSON.parse(Buffer.from(payload, 'base64').toString('utf8')), params);
      assert.equal(payload, toBase64Json(JSON.parse(Buffer.from(payload, 'base64').toString('utf8'))));
      assert.deepEqual(r.literals.filter((l) => l !== payload), template);
      const known = shapes.get(slot.cmdlet) ?? r.shape;
      shapes.set(slot.cmdlet, known);
      assert.equal(r.shape, known, 'same AST shape whatever the value');
    });
  });

  it('refuses values the allow-list forbids before anything runs', async () => {
    const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir, journal: true } });
    const before = fs.readFileSync(path.join(dataDir, 'journal.jsonl'), 'utf8');
    try {
      for (const params of [{ Identity: 'x'.repeat(4097) }, { Identity: '' }, { Identity: 'Bob Smith', 'Foo; New-Item x': 'y' }]) {
        await assert.rejects(tenant.run('Get-CsOnlineUser', params as never), (e: unknown) => e instanceof TenantError && e.kind === 'invalid-parameter' && e.record?.attempts === 0);
      }
      assert.equal(tenant.pool.started, 0, 'no PowerShell process was even started');
    } finally {
      await tenant.close();
    }
    assert.equal(fs.readFileSync(path.join(dataDir, 'journal.jsonl'), 'utf8'), before);
  });
});
