/** One generated tenant both backends start from, with the people the contract tests talk about. */
import fs from 'node:fs';
import path from 'node:path';
import { generateTenant } from '../../src/tenant/sim/demo-tenant';
import type { SimTenantState } from '../../src/tenant/sim/state';

export function contractTenant(): SimTenantState {
  const t = generateTenant({ users: 40, seed: 11, licensedShare: 1 });
  const rename = (i: number, display: string, alias: string, licensed = true) => {
    const u = t.users[i]!;
    Object.assign(u, {
      DisplayName: display, Alias: alias, UserPrincipalName: `${alias}@${t.domain}`, SipAddress: `sip:${alias}@${t.domain}`,
      Licenses: licensed ? ['Teams', 'PhoneSystem'] : ['Teams'],
    });
  };
  rename(3, 'Bob Smith', 'bob.smith');
  rename(7, 'Bob Kelly', 'bob.kelly');
  rename(12, 'Carla Smith', 'carla.smith');
  rename(20, 'Nils Unlicensed', 'nils.unlicensed', false);
  Object.assign(t.users[25]!, { EnterpriseVoiceEnabled: true, HostedVoiceMail: true, OnPremLineURI: 'tel:+14255550111', HybridPSTNSite: 'Seattle' });
  return t;
}

export { tempDir } from '../support/temp-dirs';

/** Replaces the stand-in's state the way any other writer would: a whole new sim-tenant.json, atomically. */
export function writeStubState(dataDir: string, state: SimTenantState): void {
  const file = path.join(dataDir, 'sim-tenant.json');
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
  fs.renameSync(`${file}.tmp`, file);
}
