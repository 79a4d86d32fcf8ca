/**
 * Checklist benchmark (not a test): wall time of the network sections of `checklist` for a two-site
 * inventory against real local peers (dnsmasq, openssl s_server, sipp behind socat, listeners), one of
 * which accepts TCP and never answers. Target: under 5 s. Medians of N runs in one run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runNetworkChecklist } from '../src/network/checklist';
import type { Inventory } from '../src/network/inventory-types';
import { RealNetwork } from '../src/network/real';
import { realLab } from '../test/network/lab';
import { machineInfo } from './lib/machine';
import { max, median, ms } from './lib/stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function main(): Promise<void> {
  console.log(JSON.stringify(machineInfo()));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-checklist-'));
  const lab = await realLab(dir);
  try {
    const network = new RealNetwork({ dnsServers: [lab.dnsServer!], dnsTimeoutMs: 1000 });
    const ms1 = 'ms1.cce.contoso.test';
    const inventory: Inventory = {
      sipDomain: 'contoso.test',
      sites: [
        { name: 'Redmond', edgeFqdn: 'ap.contoso.test', edgeAddresses: ['127.0.0.11', '127.0.0.12'], mediationServers: [{ fqdn: ms1 }], gateways: [{ fqdn: 'gw4.contoso.test', port: lab.ports.sipTls, transport: 'tls', mediationServers: [ms1] }, { fqdn: 'gwm.contoso.test', port: lab.ports.mtls, transport: 'tls', mediationServers: [ms1] }, { fqdn: 'silent.contoso.test', port: lab.ports.silent, transport: 'tls', mediationServers: [ms1] }] },
        { name: 'Dublin', edgeFqdn: 'ap2.contoso.test', mediationServers: [{ fqdn: ms1 }], gateways: [{ fqdn: 'gw3.contoso.test', port: lab.ports.sipTcp, transport: 'tcp', mediationServers: [ms1] }, { fqdn: 'gw1.contoso.test', port: lab.ports.tls, transport: 'tls', mediationServers: [ms1] }] },
      ],
    };
    const walls: number[] = [];
    let items = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const sections = await runNetworkChecklist(network, inventory, { roots: [lab.certs.ca.certPem], clientCert: lab.certs.bot, timeoutMs: 3000, probeTimeoutMs: 1500 });
      walls.push(performance.now() - t);
      items = sections.reduce((n, s) => n + s.items.length, 0);
    }
    console.log(`checklist (network sections), 2 sites, 5 gateways (1 never answers), ${items} items, ${RUNS} runs`);
    console.log(`  wall time: median ${ms(median(walls))} ms, max ${ms(max(walls))} ms (target < 5000 ms; gateway timeout 3000 ms)`);
  } finally {
    await lab.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
