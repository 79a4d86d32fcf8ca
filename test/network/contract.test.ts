/** The network contract over the simulated network and over the real network against real local peers. */
import { RealNetwork } from '../../src/network/real';
import { SimulatedNetwork } from '../../src/network/sim';
import { tempDir } from '../support/temp-dirs';
import { realLab, simulatedLab } from './lab';
import { networkContract } from './network-contract';
import { requireTools } from './peers';

const DNS_TIMEOUT_MS = 500;

networkContract('simulated', async () => {
  const { state, lab } = await simulatedLab(DNS_TIMEOUT_MS);
  return { port: new SimulatedNetwork(state), lab, close: lab.stop };
});

networkContract('real (dnsmasq, openssl s_server, sipp, socat on loopback)', async (ctx) => {
  requireTools(ctx, 'dnsmasq', 'openssl', 'sipp', 'socat');
  const lab = await realLab(tempDir('net-contract'));
  return { port: new RealNetwork({ dnsServers: [lab.dnsServer!], dnsTimeoutMs: DNS_TIMEOUT_MS }), lab, close: lab.stop };
});
