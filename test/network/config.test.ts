/** The network and certificate settings: defaults, refusals, and the files they name. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { demoInventory } from '../../src/network/demo-network';
import { loadNetworkMaterial, redactedNetworkConfig } from '../../src/network/config';
import { tempDir } from '../support/temp-dirs';

describe('network configuration', () => {
  it('defaults to the simulated demo network with no files', () => {
    const c = loadConfig({});
    assert.deepEqual([c.NETWORK_BACKEND, c.NETWORK_DNS_SERVERS, c.NETWORK_DNS_TIMEOUT_MS, c.DOWNLOAD_LINK_TTL_MINUTES], ['sim', [], 2000, 15]);
    assert.deepEqual(loadNetworkMaterial(c), { roots: [] });
  });

  it('reads DNS servers with ports and refuses anything else, naming the setting', () => {
    assert.deepEqual(loadConfig({ NETWORK_DNS_SERVERS: '127.0.0.1:5353, [::1]:53' }).NETWORK_DNS_SERVERS, ['127.0.0.1:5353', '[::1]:53']);
    assert.throws(() => loadConfig({ NETWORK_DNS_SERVERS: 'dns.contoso.com' }), (e: unknown) => e instanceof ConfigError && /^NETWORK_DNS_SERVERS\.0: must be comma-separated DNS server addresses/.test(e.problems[0] ?? ''));
  });

  it('reads the inventory, the root, the client certificate and the secret file; says which file is wrong', () => {
    const dir = tempDir('netcfg');
    const f = (name: string, text: string) => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const inventory = f('inventory.json', JSON.stringify(demoInventory));
    const secret = f('secret', `${'s'.repeat(40)}\n`);
    const m = loadNetworkMaterial(loadConfig({ NETWORK_INVENTORY_FILE: inventory, KEY_STORE_SECRET_FILE: secret }));
    assert.deepEqual(m.inventory, demoInventory);
    assert.equal(m.keyStoreSecret?.toString(), 's'.repeat(40));
    assert.throws(() => loadNetworkMaterial(loadConfig({ CCE_ROOT_CA_FILE: path.join(dir, 'missing.pem') })), /^NetworkConfigError: CCE_ROOT_CA_FILE: cannot read .*missing\.pem \(ENOENT\)$/);
    assert.throws(() => loadNetworkMaterial(loadConfig({ MTLS_CLIENT_CERT_FILE: inventory })), /set both or neither/);
    assert.throws(() => loadNetworkMaterial(loadConfig({ KEY_STORE_SECRET: 'short' })), /at least 32 bytes/);
    assert.throws(() => loadNetworkMaterial(loadConfig({ NETWORK_INVENTORY_FILE: f('bad.json', JSON.stringify({ sipDomain: 'contoso.com', sites: [{ name: 'X', edgeFqdn: 'not a name', mediationServers: [], gateways: [] }] })) })), /NETWORK_INVENTORY_FILE: sites\.0\.edgeFqdn: must be a fully qualified domain name/);
  });

  it('never shows the key-store secret', () => {
    const c = loadConfig({ KEY_STORE_SECRET: 'k'.repeat(40) });
    assert.ok(!JSON.stringify(redactedNetworkConfig(c)).includes('kkkk'));
  });
});
