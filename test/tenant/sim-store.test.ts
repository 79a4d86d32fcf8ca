/** The simulated tenant on SQLite: lookups read what they return, changes persist, old data directories carry on. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { generateTenant } from '../../src/tenant/sim/demo-tenant';
import { SimulatedTenant } from '../../src/tenant/sim/simulated-tenant';
import { SimTenantState } from '../../src/tenant/sim/state';
import { contractTenant, tempDir } from './fixtures';

describe('the simulated tenant on SQLite', function () {
  this.timeout(60_000);
  const size = 5_000;
  let big: SimulatedTenant;
  let state: SimTenantState;

  before(() => {
    state = generateTenant({ users: size, seed: 5 });
    Object.assign(state.users[4_321]!, { OnPremLineURI: 'tel:+14255550123', EnterpriseVoiceEnabled: true });
    big = new SimulatedTenant({ initial: state });
  });
  after(async () => big.close());

  /** Rows the call decoded: the cost of a lookup. */
  async function cost(fn: () => Promise<unknown>): Promise<number> {
    const before = big.store.rowsRead;
    await fn();
    return big.store.rowsRead - before;
  }

  it('resolves one user by UPN, SIP address, GUID, display name and alias reading only that user', async () => {
    const u = state.users[2_500]!;
    for (const identity of [u.UserPrincipalName.toUpperCase(), u.SipAddress, u.Identity, u.DisplayName, u.Alias]) {
      let found: unknown[] = [];
      assert.equal(await cost(async () => { found = (await big.run('Get-CsOnlineUser', { Identity: identity })).output; }), 1, identity);
      assert.equal(found.length, 1, identity);
    }
  });

  it('answers prefix, suffix and middle wildcards from the indexes, reading only the users they match', async () => {
    const expect = (re: RegExp) => state.users.filter((u) => re.test(u.DisplayName)).map((u) => u.DisplayName);
    for (const [pattern, re] of [['Adele V*', /^adele v/i], ['*Vance 3', /vance 3$/i], ['*ele Vance*', /ele vance/i], ['Ad*ce 4', /^ad.*ce 4$/i]] as const) {
      let names: string[] = [];
      const read = await cost(async () => { names = (await big.run('Get-CsOnlineUser', { Identity: pattern })).output.map((u) => u.DisplayName); });
      assert.deepEqual(names, expect(re), pattern);
      assert.ok(names.length > 0 && names.length < 40, `${pattern}: ${names.length}`);
      // A prefix range can hold names the rest of the pattern then rules out; never the tenant.
      assert.ok(read <= names.length * 2 + 5, `${pattern} read ${read} rows for ${names.length} matches`);
    }
  });

  it('finds who holds a number without walking the tenant, and filters by an indexed property the same way', async () => {
    const holder = state.users[4_321]!;
    const refused = await cost(() => big.run('Set-CsUser', { Identity: state.users[10]!.UserPrincipalName, OnPremLineURI: 'tel:+14255550123' }).catch((e: Error) => e));
    assert.ok(refused <= 2, `number check read ${refused} rows`);
    let found: string[] = [];
    const read = await cost(async () => {
      found = (await big.run('Get-CsOnlineUser', { Filter: `LineURI -eq 'tel:+14255550123' -or UserPrincipalName -eq '${state.users[7]!.UserPrincipalName}'` })).output.map((u) => u.UserPrincipalName);
    });
    assert.deepEqual(found, [state.users[7]!.UserPrincipalName, holder.UserPrincipalName]);
    assert.equal(read, 2);
    // Both clauses come from indexes and only their intersection is decoded.
    let both: string[] = [];
    const read2 = await cost(async () => {
      both = (await big.run('Get-CsOnlineUser', { Filter: `EnterpriseVoiceEnabled -eq $true -and DisplayName -like '${holder.DisplayName.slice(0, 3)}*'` })).output.map((u) => u.UserPrincipalName);
    });
    assert.deepEqual(both, [holder.UserPrincipalName]);
    assert.equal(read2, 1);
  });

  it('reads every row only for what needs every row, and stops at ResultSize', async () => {
    assert.equal(await cost(() => big.run('Get-CsOnlineUser', { ResultSize: 20 })), 20);
    assert.equal(await cost(() => big.run('Get-CsOnlineUser', { Filter: 'EnterpriseVoiceEnabled -ne $true', ResultSize: 3 })), 3);
  });

  it('uses an index for every lookup statement', () => {
    const lookups = ['byIdentity', 'byUpn', 'bySip', 'byUpnOrSip', 'byName', 'byNameOrAlias', 'byAlias', 'byLine', 'byDept', 'voiceEnabled', 'namePrefix', 'namePrefixSuffix', 'nameSuffix', 'nameContains'] as const;
    for (const name of lookups) {
      const stmt = big.store.q[name];
      const params = Array.from({ length: (stmt.source.match(/\?/g) ?? []).length }, () => 'x');
      const plan = big.store.db.prepare(`EXPLAIN QUERY PLAN ${stmt.source}`).all(...params) as { detail: string }[];
      const details = plan.map((p) => p.detail);
      assert.ok(details.every((d) => !/^SCAN users\b/.test(d)), `${name}: ${details.join(' | ')}`);
    }
  });

  it('keeps every change across a restart, and snapshot() returns the whole tenant', async () => {
    const dataDir = tempDir('sim-store');
    const first = new SimulatedTenant({ initial: contractTenant(), dataDir });
    await first.run('Set-CsUser', { Identity: 'Bob Smith', EnterpriseVoiceEnabled: true, OnPremLineURI: 'tel:+14255550199' });
    await first.run('Set-CsTenantHybridConfiguration', { PeerDestination: 'ap.contoso.com' });
    await first.run('Update-MgUser', { UserId: 'mediationserver1@contoso.com', Department: 'HybridMediationServer' });
    await first.close();
    const again = new SimulatedTenant({ initial: generateTenant({ users: 3 }), dataDir });
    assert.equal((await again.run('Get-CsOnlineUser', { Identity: 'Bob Smith' })).output[0]?.LineURI, 'tel:+14255550199');
    assert.equal((await again.run('Get-CsTenantHybridConfiguration', {})).output[0]?.PeerDestination, 'ap.contoso.com');
    const snap = again.snapshot();
    assert.equal(snap.users.length, contractTenant().users.length);
    assert.equal(snap.users.find((u) => u.Alias === 'mediationserver1')?.Department, 'HybridMediationServer');
    assert.doesNotThrow(() => SimTenantState.parse(snap));
    await again.close();
  });

  it('writes the starting tenant as sim-tenant.json for the stand-in, and carries on from an older sim-tenant.json', async () => {
    const fresh = tempDir('sim-seed');
    await new SimulatedTenant({ initial: contractTenant(), dataDir: fresh }).close();
    assert.deepEqual(SimTenantState.parse(JSON.parse(fs.readFileSync(path.join(fresh, 'sim-tenant.json'), 'utf8'))), SimTenantState.parse(contractTenant()));
    const old = tempDir('sim-legacy');
    const legacy = contractTenant();
    legacy.users[3]!.OnPremLineURI = 'tel:+14255550777';
    fs.writeFileSync(path.join(old, 'sim-tenant.json'), JSON.stringify(legacy));
    const tenant = new SimulatedTenant({ initial: generateTenant({ users: 3 }), dataDir: old });
    assert.equal((await tenant.run('Get-CsOnlineUser', { Identity: 'Bob Smith' })).output[0]?.LineURI, 'tel:+14255550777');
    await tenant.close();
  });

  it('leaves nothing half done when a change is refused', async () => {
    const tenant = new SimulatedTenant({ initial: contractTenant() });
    // The first Smith is licensed, Nils is not: a refusal on the second must not leave the first enabled.
    await tenant.run('Set-CsUser', { Identity: 'nils.unlicensed', OnPremLineURI: null });
    const before = tenant.snapshot();
    await assert.rejects(tenant.run('Set-CsUser', { Identity: '*l*', EnterpriseVoiceEnabled: true }));
    assert.deepEqual(tenant.snapshot(), before);
    await tenant.close();
  });
});
