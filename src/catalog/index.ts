/** The action catalog: every change Switchboard can make. Adding an action = one file + one line here. */
import type { Action } from './action';
import { assignSite } from './actions/assign-site';
import { enableVoice } from './actions/enable-voice';
import { internationalCalling } from './actions/international-calling';

export const actions: readonly Action[] = [enableVoice, internationalCalling, assignSite];

export function findAction(id: string): Action | undefined {
  return actions.find((a) => a.id === id);
}
