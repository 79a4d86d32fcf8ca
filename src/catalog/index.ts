/** The action catalog: every change Switchboard can make. Adding an action = one file + one line here. */
import type { Action } from './action';
import { enableVoice } from './actions/enable-voice';

export const actions: readonly Action[] = [enableVoice];

export function findAction(id: string): Action | undefined {
  return actions.find((a) => a.id === id);
}
