/** The command catalog: every command Switchboard knows. Adding one = one file in commands/ + one line here. */
import type { Command } from './command';
import { approve } from './commands/approve';
import { assignSite } from './commands/assign-site';
import { bulkEnable } from './commands/bulk-enable';
import { enableVoice } from './commands/enable-voice';
import { help } from './commands/help';
import { history } from './commands/history';
import { internationalCalling } from './commands/international-calling';
import { pending } from './commands/pending';
import { reject } from './commands/reject';
import { status } from './commands/status';

export const commands: readonly Command[] = [help, status, pending, history, approve, reject, enableVoice, internationalCalling, assignSite, bulkEnable];

export function findCommand(id: string): Command | undefined {
  return commands.find((c) => c.id === id);
}
