/** One generated tenant both backends start from, with the people the contract tests talk about. */
import fs from 'node:fs';
import path from 'node:path';
import { generateTenant } from '../../src/tenant/sim/demo-tenant';
import type { SimTenantState, SimUser } from '../../src/tenant/sim/state';

/** A directory account added after the generated users, so the generated ones keep their places. */
export function extraUser(t: SimTenantState, id: string, display: string, alias: string, more: Partial<SimUser> = {}): SimUser {
  const u: SimUser = {
    ...structuredClone(t.users[0]!),
    Identity: id, DisplayName: display, Alias: alias, UserPrincipalName: `${alias}@${t.domain}`, SipAddress: `sip:${alias}@${t.domain}`,
    Licenses: ['Teams', 'PhoneSystem'], EnterpriseVoiceEnabled: false, HostedVoiceMail: false, OnPremLineURI: null, HybridPSTNSite: null,
    Department: null, ...more,
  };
  t.users.push(u);
  return u;
}

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
  // Mediation Server accounts (procedure step 9): one synced and licensed, and two that share a display name.
  extraUser(t, '0d5e0000-0000-4000-a000-0000000000a1', 'MediationServer1', 'mediationserver1');
  extraUser(t, '0d5e0000-0000-4000-a000-0000000000b1', 'Mediation Twin', 'mediation.twin1');
  extraUser(t, '0d5e0000-0000-4000-a000-0000000000b2', 'Mediation Twin', 'mediation.twin2');
  return t;
}

export { tempDir } from '../support/temp-dirs';

/** Replaces the stand-in's state the way any other writer would: a whole new sim-tenant.json, atomically. */
export function writeStubState(dataDir: string, state: SimTenantState): void {
  const file = path.join(dataDir, 'sim-tenant.json');
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
  fs.renameSync(`${file}.tmp`, file);
}
