/** The same contract, the same generated tenant, two backends: the simulated tenant and PowerShell with the stand-in module. */
import fs from 'node:fs';
import { SimulatedTenant } from '../../src/tenant/sim/simulated-tenant';
import { createPowerShellTenant } from '../../src/tenant/powershell';
import type { CmdletName, CmdletParams } from '../../src/tenant/cmdlets';
import type { RunOptions, TenantPort } from '../../src/tenant/port';
import type { SimTenantState } from '../../src/tenant/sim/state';
import { requirePwsh } from '../support/pwsh';
import { contractTenant, tempDir, writeStubState } from './fixtures';
import { tenantContract } from './tenant-contract';

tenantContract('simulated', async () => {
  let current = new SimulatedTenant({ initial: contractTenant() });
  const tenant: TenantPort = {
    backend: 'sim',
    run: <N extends CmdletName>(c: N, p: CmdletParams<N>, o?: RunOptions) => current.run(c, p, o),
    describe: () => current.describe(),
    close: () => current.close(),
  };
  return {
    tenant,
    reset: async (state: SimTenantState) => {
      current = new SimulatedTenant({ initial: state });
    },
    close: async () => undefined,
  };
});

tenantContract('PowerShell stand-in (2 warm pwsh sessions)', async (ctx) => {
  requirePwsh(ctx);
  const dataDir = tempDir('contract');
  writeStubState(dataDir, contractTenant());
  const tenant = createPowerShellTenant({ backend: 'powershell-stub', config: { PS_POOL_SIZE: '2' }, stub: { dataDir } });
  return {
    tenant,
    reset: async (state: SimTenantState) => writeStubState(dataDir, state),
    close: async () => {
      await tenant.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
