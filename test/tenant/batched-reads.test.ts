/**
 * Several reads in one round trip (TenantPort.runMany): on the PowerShell stand-in, one script on one session, one
 * outcome per call, values kept as data; and the read cache that makes reads ahead with it (ReadCache.prefetch).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { cmdlets, type CmdletCall, type CmdletName, type CmdletParams, type OnlineUser } from '../../src/tenant/cmdlets';
import { filterLiteral } from '../../src/tenant/directory';
import { TenantError, type CmdletRun, type ReadCall, type ReadCmdletName, type ReadOutcome, type RunOptions, type TenantPort } from '../../src/tenant/port';
import { createPowerShellTenant } from '../../src/tenant/powershell';
import { buildBatchScript, newMarker } from '../../src/tenant/powershell/script';
import { ReadCache } from '../../src/tenant/read-cache';
import { SimulatedTenant } from '../../src/tenant/sim/simulated-tenant';
import { countRoundTrips, requirePwsh } from '../support/pwsh';
import { contractTenant, extraUser, tempDir, writeStubState } from './fixtures';

const users = (o: ReadOutcome | undefined): OnlineUser[] => {
  assert.ok(o?.ok, o && !o.ok ? `${o.error.kind}: ${o.error.message}` : 'no outcome');
  return o.output as OnlineUser[];
};

const JournalLine = z.object({ cmdlet: z.string(), params: z.record(z.string(), z.object({ type: z.string(), utf8: z.string().optional() })) });
const journal = (dataDir: string) => {
  const file = path.join(dataDir, 'journal.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JournalLine.parse(JSON.parse(l)));
};
const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

describe('reads in one round trip on the PowerShell stand-in (runMany)', function () {
  this.timeout(120_000);
  let pwsh: string;
  let dataDir: string;
  let tenant: ReturnType<typeof createPowerShellTenant>;
  const canary = (n: number) => path.join(dataDir, `pwned-${n}`).replace(/\\/g, '/');
  const hostile = () => `O'Brien'; Remove-Item -Force '${canary(0)}'; New-Item -ItemType File -Path '${canary(1)}'; '$(New-Item -ItemType File -Path ${canary(2)}) "$(New-Item -ItemType File -Path ${canary(3)})" \`$x`;

  before(async function () {
    pwsh = requirePwsh(this);
    dataDir = tempDir('batched-reads');
    const state = contractTenant();
    extraUser(state, '0d5e0000-0000-4000-a000-0000000000c1', hostile(), 'obrien');
    writeStubState(dataDir, state);
    fs.writeFileSync(canary(0), 'must survive');
    tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir, journal: true } });
    await tenant.describe(); // a warm session, so the counts below are the calls' own round trips
  });
  after(async () => {
    await tenant?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers every call as run does, in order, in ONE round trip', async () => {
    const calls: ReadCall[] = [
      { cmdlet: 'Get-CsOnlineUser', params: { Filter: "DisplayName -eq 'Bob Kelly'", ResultSize: 50 } },
      { cmdlet: 'Get-CsHybridPSTNSite', params: {} },
      { cmdlet: 'Get-CsOnlineUser', params: { Identity: 'bob.smith@contoso.com' } },
      { cmdlet: 'Get-CsOnlineUser', params: { Filter: "LineURI -eq 'tel:+14255550111'", ResultSize: 5 } },
    ];
    const trips = countRoundTrips();
    let outcomes: ReadOutcome[];
    try {
      outcomes = await tenant.runMany(calls);
    } finally {
      trips.stop();
    }
    assert.equal(trips.count, 1);
    assert.equal(outcomes.length, calls.length);
    const one = <N extends CmdletName>(c: { cmdlet: N; params: CmdletParams<N> }): Promise<CmdletRun<N>> => tenant.run(c.cmdlet, c.params);
    for (const [i, c] of calls.entries()) {
      const o = outcomes[i]!;
      assert.ok(o.ok);
      assert.deepEqual(o.output, (await one(c)).output, `${c.cmdlet} ${JSON.stringify(c.params)}`);
    }
    assert.equal(users(outcomes[0])[0]?.UserPrincipalName, 'bob.kelly@contoso.com');
    assert.equal(users(outcomes[3]).length, 1);
  });

  it('keeps hostile values as data: the name comes back byte for byte and nothing in it runs', async () => {
    const name = hostile();
    const before = journal(dataDir).length;
    const outcomes = await tenant.runMany([
      { cmdlet: 'Get-CsOnlineUser', params: { Filter: `DisplayName -eq ${filterLiteral(name)}`, ResultSize: 50 } },
      { cmdlet: 'Get-CsOnlineUser', params: { Identity: name } },
      { cmdlet: 'Get-CsOnlineUser', params: { Identity: 'obrien@contoso.com' } },
    ]);
    assert.deepEqual(users(outcomes[0]).map((u) => u.DisplayName), [name]);
    assert.deepEqual(users(outcomes[2]).map((u) => u.DisplayName), [name]);
    // -Identity takes a display name too, as the cmdlet does.
    assert.deepEqual(users(outcomes[1]).map((u) => u.UserPrincipalName), ['obrien@contoso.com']);
    const sent = journal(dataDir).slice(before);
    assert.deepEqual(sent.map((l) => l.cmdlet), ['Get-CsOnlineUser', 'Get-CsOnlineUser', 'Get-CsOnlineUser']);
    assert.equal(sent[0]!.params.Filter?.utf8, utf8(`DisplayName -eq ${filterLiteral(name)}`));
    assert.equal(sent[1]!.params.Identity?.utf8, utf8(name));
    assert.equal(fs.readFileSync(canary(0), 'utf8'), 'must survive');
    assert.deepEqual(fs.readdirSync(dataDir).filter((f) => f.startsWith('pwned') && f !== 'pwned-0'), [], 'no injected command ran');
  });

  it('builds one line that parses to the allow-listed calls only, each value confined to one base64 literal', () => {
    const name = hostile();
    const calls = [
      { cmdlet: 'Get-CsOnlineUser' as const, params: { Filter: `DisplayName -eq ${filterLiteral(name)}`, ResultSize: 50 } },
      { cmdlet: 'Get-CsUserPstnSettings' as const, params: { Identity: name } },
    ];
    const marker = newMarker();
    const script = buildBatchScript(calls, marker);
    assert.equal(/[^\x20-\x7e]/.test(script), false, 'one line of printable ASCII');
    const file = path.join(dataDir, 'batch.ps1');
    fs.writeFileSync(file, script);
    const ast = [
      '$t = $null; $e = $null',
      `$a = [System.Management.Automation.Language.Parser]::ParseFile('${file.replace(/'/g, "''")}', [ref]$t, [ref]$e)`,
      '$all = $a.FindAll({ $true }, $true)',
      'ConvertTo-Json -Compress -InputObject @{ errors = $e.Count; expandable = @($all | Where-Object { $_ -is [System.Management.Automation.Language.ExpandableStringExpressionAst] }).Count;',
      '  commands = @($all | Where-Object { $_ -is [System.Management.Automation.Language.CommandAst] } | ForEach-Object { [string]$_.GetCommandName() });',
      "  literals = @($all | Where-Object { $_ -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $_.StringConstantType -ne 'BareWord' } | ForEach-Object { $_.Value }) }",
    ].join('\n');
    const run = spawnSync(pwsh, ['-NoProfile', '-NonInteractive', '-Command', ast], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const report = z.object({ errors: z.number(), expandable: z.number(), commands: z.array(z.string()), literals: z.array(z.string()) }).parse(JSON.parse(run.stdout));
    assert.equal(report.errors, 0);
    assert.equal(report.expandable, 0, 'no double-quoted (expanding) strings');
    const perCall = (cmdlet: string) => ['ConvertFrom-Json', cmdlet, 'ForEach-Object', 'ConvertTo-Json', 'ConvertTo-Json'];
    assert.deepEqual(report.commands, ['', ...perCall('Get-CsOnlineUser'), ...perCall('Get-CsUserPstnSettings'), 'ConvertTo-Json', 'ConvertTo-Json']);
    // The fixed template, and one literal per call that decodes to its parameters: nothing else.
    const serialise = ['The result could not be serialised to JSON.', 'SerializationFailed', 'InvalidResult'];
    const payloads = calls.map((c) => Buffer.from(JSON.stringify(c.params), 'utf8').toString('base64'));
    assert.deepEqual(report.literals, ['Stop', payloads[0], ...serialise, payloads[1], ...serialise, ...serialise, marker, marker]);
  });

  it('fails one call alone: an identity not found and a parameter the allow-list refuses leave the others answered', async () => {
    const before = journal(dataDir).length;
    const outcomes = await tenant.runMany([
      { cmdlet: 'Get-CsOnlineUser', params: { Identity: 'nobody@contoso.com' } },
      { cmdlet: 'Get-CsOnlineUser', params: { Identity: 'bob.kelly@contoso.com' } },
      { cmdlet: 'Get-CsOnlineUser', params: { Identity: '' } },
      { cmdlet: 'Get-CsUserPstnSettings', params: { Identity: 'bob.kelly@contoso.com' } },
    ]);
    const [missing, bob, empty, pstn] = outcomes;
    assert.ok(missing && !missing.ok && missing.error instanceof TenantError);
    assert.equal(missing.error.kind, 'not-found');
    assert.match(missing.error.record?.session ?? '', /^pwsh-\d+#\d+$/);
    assert.equal(users(bob)[0]?.DisplayName, 'Bob Kelly');
    assert.ok(empty && !empty.ok);
    assert.equal(empty.error.kind, 'invalid-parameter');
    assert.equal(empty.error.record?.attempts, 0);
    assert.ok(pstn?.ok);
    assert.deepEqual(journal(dataDir).slice(before).map((l) => l.params.Identity?.utf8), [utf8('nobody@contoso.com'), utf8('bob.kelly@contoso.com'), utf8('bob.kelly@contoso.com')], 'the refused call was not sent');
  });

  it('refuses a batch with anything but reads before anything runs', async () => {
    const fresh = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '1' }, stub: { dataDir, journal: true } });
    const before = journal(dataDir).length;
    const change = { cmdlet: 'Set-CsUser', params: { Identity: 'bob.kelly@contoso.com', EnterpriseVoiceEnabled: true } } as unknown as ReadCall;
    const unknown = { cmdlet: 'Remove-Item', params: {} } as unknown as ReadCall;
    try {
      for (const bad of [change, unknown]) {
        await assert.rejects(fresh.runMany([{ cmdlet: 'Get-CsHybridPSTNSite', params: {} }, bad]), (e: unknown) => e instanceof TenantError && e.kind === 'not-allowed');
        await assert.rejects(new ReadCache(fresh).runMany([bad]), (e: unknown) => e instanceof TenantError && e.kind === 'not-allowed');
        // One read through the cache is refused the same way, so the caller reports it as the tenant's refusal.
        await assert.rejects(new ReadCache(fresh).run(bad.cmdlet, bad.params as never), (e: unknown) => e instanceof TenantError && e.kind === 'not-allowed');
      }
      assert.throws(() => buildBatchScript([change as { cmdlet: CmdletName; params: Record<string, unknown> }], newMarker()), /changes the tenant/);
      assert.equal(fresh.pool.started, 0, 'no PowerShell process was even started');
    } finally {
      await fresh.close();
    }
    assert.equal(journal(dataDir).length, before);
    assert.equal(cmdlets['Set-CsUser'].effect, 'set');
  });

  it('reconnects once when the token lapsed, and fails every call when the process dies (the next batch gets a new one)', async () => {
    const faults = path.join(dataDir, 'faults.json');
    const connects = () => fs.readFileSync(path.join(dataDir, 'connect.jsonl'), 'utf8').trim().split('\n').length;
    const calls: ReadCall[] = [{ cmdlet: 'Get-CsOnlineUser', params: { Identity: 'bob.kelly@contoso.com' } }, { cmdlet: 'Get-CsHybridPSTNSite', params: {} }];
    try {
      const connected = connects();
      fs.writeFileSync(faults, JSON.stringify([{ cmdlet: 'Get-CsOnlineUser', mode: 'auth-expired', times: 1 }]));
      const renewed = await tenant.runMany(calls);
      assert.ok(renewed.every((o) => o.ok), JSON.stringify(renewed));
      assert.equal(connects(), connected + 1);

      fs.writeFileSync(faults, JSON.stringify([{ cmdlet: 'Get-CsHybridPSTNSite', mode: 'crash', times: 1 }]));
      const crashed = await tenant.runMany(calls);
      assert.deepEqual(crashed.map((o) => (o.ok ? 'ok' : o.error.kind)), ['crashed', 'crashed']);
      const again = await tenant.runMany(calls);
      assert.ok(again.every((o) => o.ok));
    } finally {
      fs.rmSync(faults, { force: true });
    }
  });
});

/** A tenant that answers from a simulated one and counts what it was asked, with or without runMany. */
function countingTenant(withRunMany: boolean) {
  const sim = new SimulatedTenant({ initial: contractTenant() });
  const asked = { runs: 0, batches: [] as number[] };
  const tenant: TenantPort = {
    backend: 'sim',
    run: <N extends CmdletName>(c: N, p: CmdletParams<N>, o?: RunOptions) => {
      asked.runs++;
      return sim.run(c, p, o);
    },
    describe: () => sim.describe(),
    close: () => sim.close(),
    ...(withRunMany
      ? {
          runMany: async (calls: readonly ReadCall[]) => {
            asked.batches.push(calls.length);
            const one = <N extends ReadCmdletName>(c: CmdletCall<N>) => sim.run(c.cmdlet, c.params);
            return Promise.all(calls.map((c) => one(c).then(
              (r): ReadOutcome => ({ ok: true, output: r.output }),
              (error: TenantError): ReadOutcome => ({ ok: false, error }),
            )));
          },
        }
      : {}),
  };
  return { tenant, asked };
}

describe('the read cache makes reads ahead together (ReadCache.prefetch)', () => {
  const bob = { cmdlet: 'Get-CsOnlineUser', params: { Identity: 'bob.kelly@contoso.com' } } as const;
  const sites = { cmdlet: 'Get-CsHybridPSTNSite', params: {} } as const;
  const nobody = { cmdlet: 'Get-CsOnlineUser', params: { Identity: 'nobody@contoso.com' } } as const;

  it('sends the reads it has not made in one runMany, and answers the runs that follow from it', async () => {
    const { tenant, asked } = countingTenant(true);
    const cache = new ReadCache(tenant);
    await cache.run(sites.cmdlet, sites.params);
    await cache.prefetch([bob, sites, { cmdlet: 'Get-CsOnlineUser', params: { Identity: 'BOB.KELLY@contoso.com' } }]);
    assert.deepEqual(asked.batches, [1], 'the sites were read already; the same identity in another case is the same read');
    assert.equal((await cache.run(bob.cmdlet, bob.params)).output[0]?.DisplayName, 'Bob Kelly');
    await cache.run(sites.cmdlet, sites.params);
    assert.equal(asked.runs, 1, 'only the first sites read went to the tenant by run');
    await cache.prefetch([bob, sites]);
    assert.deepEqual(asked.batches, [1], 'nothing new: no round trip');
  });

  it('does not remember a read that failed: the run that follows asks again and reports it itself', async () => {
    const { tenant, asked } = countingTenant(true);
    const cache = new ReadCache(tenant);
    const outcomes = await cache.runMany([nobody, bob]);
    assert.equal(outcomes[0]!.ok ? 'ok' : outcomes[0]!.error.kind, 'not-found');
    assert.ok(outcomes[1]!.ok);
    await assert.rejects(cache.run(nobody.cmdlet, nobody.params), (e: unknown) => e instanceof TenantError && e.kind === 'not-found');
    assert.equal(asked.runs, 1);
  });

  it('does not ask again for a read that timed out: the run that follows reports the timeout at once', async () => {
    const { tenant, asked } = countingTenant(true);
    let batches = 0;
    tenant.runMany = async (calls) => {
      batches++;
      return calls.map((): ReadOutcome => ({ ok: false, error: new TenantError('timeout', 'Get-CsOnlineUser did not finish within 60 s and was stopped.') }));
    };
    const cache = new ReadCache(tenant);
    await cache.prefetch([bob, sites]);
    await assert.rejects(cache.run(bob.cmdlet, bob.params), (e: unknown) => e instanceof TenantError && e.kind === 'timeout');
    await assert.rejects(cache.run(sites.cmdlet, sites.params), (e: unknown) => e instanceof TenantError && e.kind === 'timeout');
    assert.equal(batches, 1);
    assert.equal(asked.runs, 0, 'no second wait for the same silence');
  });

  it('runs each read, in parallel, where the tenant has no runMany (the simulated tenant)', async () => {
    const { tenant, asked } = countingTenant(false);
    assert.equal(tenant.runMany, undefined);
    const cache = new ReadCache(tenant);
    const outcomes = await cache.runMany([bob, nobody, sites]);
    assert.deepEqual(outcomes.map((o) => (o.ok ? 'ok' : o.error.kind)), ['ok', 'not-found', 'ok']);
    assert.equal(asked.runs, 3);
    await cache.run(bob.cmdlet, bob.params);
    assert.equal(asked.runs, 3);
  });

  it('makes nothing ahead where there is no round trip to save (no runMany underneath, through stacked caches too)', async () => {
    const { tenant, asked } = countingTenant(false);
    const cache = new ReadCache(new ReadCache(tenant));
    await cache.prefetch([bob, sites]);
    assert.equal(asked.runs, 0);
    assert.equal((await cache.run(bob.cmdlet, bob.params)).output[0]?.DisplayName, 'Bob Kelly');
    assert.equal(asked.runs, 1, 'made when asked for, once');
  });

  it('makes a read once when runs and a batch ask for it at the same time', async () => {
    const { tenant, asked } = countingTenant(true);
    const cache = new ReadCache(tenant);
    const [, ran] = await Promise.all([cache.prefetch([bob, sites]), cache.run(bob.cmdlet, bob.params)]);
    assert.equal(ran.output[0]?.UserPrincipalName, 'bob.kelly@contoso.com');
    assert.deepEqual(asked.batches, [2]);
    assert.equal(asked.runs, 0);
  });
});
