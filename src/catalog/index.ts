/** The command catalog: every command Switchboard knows. Adding one = one file in commands/ + one line here. */
import type { Command } from './command';
import { approve } from './commands/approve';
import { assignSite } from './commands/assign-site';
import { certRoot } from './commands/cert-root';
import { certImport } from './commands/cert-import';
import { certIssue } from './commands/cert-issue';
import { certRequest } from './commands/cert-request';
import { checkDnsCommand } from './commands/check-dns';
import { checkGatewayCommand } from './commands/check-gateway';
import { checkPortsCommand } from './commands/check-ports';
import { configureHybrid } from './commands/configure-hybrid';
import { disableVoice } from './commands/disable-voice';
import { bulkEnable } from './commands/bulk-enable';
import { checklist } from './commands/checklist';
import { enableVoice } from './commands/enable-voice';
import { help } from './commands/help';
import { history } from './commands/history';
import { internationalCalling } from './commands/international-calling';
import { pending } from './commands/pending';
import { registerMediationServer } from './commands/register-mediation-server';
import { reject } from './commands/reject';
import { showDomains } from './commands/show-domains';
import { showHybrid } from './commands/show-hybrid';
import { showMediationServers } from './commands/show-mediation-servers';
import { status } from './commands/status';
import { addSite } from './commands/add-site';
import { showSites } from './commands/show-sites';
import { site } from './commands/site';
import { usersWithoutSite } from './commands/users-without-site';
import { addGateway } from './commands/add-gateway';
import { gatewayConfig } from './commands/gateway-config';
import { addSbc } from './commands/add-sbc';
import { setSbc } from './commands/set-sbc';
import { addVoiceRoute } from './commands/add-voice-route';
import { assignNumber } from './commands/assign-number';
import { moveToDirectRouting } from './commands/move-to-direct-routing';
import { showDirectRouting } from './commands/show-direct-routing';

export const commands: readonly Command[] = [
  help, status, pending, history, approve, reject,
  showDomains, showHybrid, configureHybrid,
  enableVoice, disableVoice, internationalCalling, assignSite,
  registerMediationServer, showMediationServers,
  checkDnsCommand, checkPortsCommand, checkGatewayCommand, certRoot, certRequest, certImport, certIssue,
  addSite, showSites, site, usersWithoutSite, addGateway, gatewayConfig,
  bulkEnable, checklist,
  showDirectRouting, addSbc, setSbc, addVoiceRoute, assignNumber, moveToDirectRouting,
];

export function findCommand(id: string): Command | undefined {
  return commands.find((c) => c.id === id);
}
