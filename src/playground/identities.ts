/**
 * The playground's demo people and conversations. Each person has a 1:1 chat with the bot, and all of
 * them share one channel, so an approval card reaches the approver's own chat as it would in Teams.
 */
import { localDemoApproverId } from '../config';

export type DemoRole = 'requester' | 'approver' | 'viewer';

export interface DemoIdentity {
  key: string;
  name: string;
  aadObjectId: string;
  /** The Teams user id (MRI) a channel would send as from.id. */
  mri: string;
  /** What the person is there to show; whether they may approve is APPROVER_IDS's call. */
  role: DemoRole;
}

export const demoIdentities: readonly DemoIdentity[] = [
  { key: 'alice', name: 'Alice Operator', aadObjectId: '11111111-1111-4111-8111-111111111111', mri: '29:playground-alice', role: 'requester' },
  { key: 'ada', name: 'Ada Admin', aadObjectId: localDemoApproverId, mri: '29:playground-ada', role: 'approver' },
  { key: 'victor', name: 'Victor Viewer', aadObjectId: '55555555-5555-4555-8555-555555555555', mri: '29:playground-victor', role: 'viewer' },
];

/** The tenant the playground's activities claim, unless ALLOWED_TENANT_IDS names one. */
export const demoTenantId = '72f988bf-0000-4000-a000-000000c0ffee';

export const sharedChannel = { id: '19:playground-voice-admins@thread.tacv2', name: 'Voice admins', teamId: '19:playground-it-operations@thread.tacv2', teamName: 'IT Operations' };

export interface DemoConversation {
  id: string;
  /** Teams' conversationType: personal for a 1:1 chat with the bot, channel for a team channel. */
  type: 'personal' | 'channel';
  title: string;
  /** Who sees it: a 1:1 belongs to one person, the channel to everyone. */
  members: string[];
}

export function personalConversationId(identity: DemoIdentity): string {
  return `a:playground-personal-${identity.key}`;
}

export function demoConversations(): DemoConversation[] {
  return [
    ...demoIdentities.map((i) => ({ id: personalConversationId(i), type: 'personal' as const, title: 'Switchboard (1:1 chat)', members: [i.key] })),
    { id: sharedChannel.id, type: 'channel', title: `${sharedChannel.teamName} › ${sharedChannel.name}`, members: demoIdentities.map((i) => i.key) },
  ];
}

export function identityByKey(key: string): DemoIdentity | undefined {
  return demoIdentities.find((i) => i.key === key);
}
