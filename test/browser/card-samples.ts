/** Data that binds every field of each card template, for rendering each one without a conversation. */
export const cardSamples: Record<string, Record<string, unknown>> = {
  help: { tenantLabel: 'contoso.com (simulated)', commands: [{ usage: 'help', summary: 'Show what I can do.' }, { usage: 'enable voice for <user> [number <E.164>]', summary: 'Enable voice and voicemail.' }] },
  'enable-voice-form': { user: 'bob.kelly@contoso.com', displayName: 'Bob Kelly', number: '' },
  'choose-user': { query: 'Kelly', count: 2, users: [{ label: 'Bob Kelly (bob.kelly@contoso.com)', choice: { action: 'enable-voice', user: 'bob.kelly@contoso.com' }, fallbackChoice: { verb: 'chooseUser', action: 'enable-voice', user: 'bob.kelly@contoso.com' } }] },
  request: {
    id: 'R-SAMPLE01', title: 'Enable voice', target: 'Bob Kelly (bob.kelly@contoso.com)', statusLine: 'Waiting for approval', statusColor: 'Warning', requester: 'Alice Operator',
    createdAt: '2026-12-01 09:00 UTC', expiresAt: '2026-12-02 09:00 UTC', risk: 'medium', changes: [{ property: 'EnterpriseVoiceEnabled', from: 'False', to: 'True' }],
    commands: [{ line: "Set-CsUser -Identity 'bob.kelly@contoso.com' -EnterpriseVoiceEnabled $true" }], notes: [{ text: 'sample' }], decision: '', hasVerification: true,
    verification: [{ mark: '✅', property: 'EnterpriseVoiceEnabled', actual: 'True', expected: 'True' }], error: '', pending: true,
  },
  'assign-site-form': { user: 'bob.kelly@contoso.com', site: 'Seattle', sites: [{ title: 'Seattle', value: 'Seattle' }] },
  'international-calling-form': { user: 'bob.kelly@contoso.com', mode: 'block' },
  'user-status': { target: 'Bob Kelly', moduleVersion: 'simulated', facts: [{ name: 'EnterpriseVoiceEnabled', value: 'True' }], notes: [] },
  pending: { heading: '1 open request', requests: [{ id: 'R-SAMPLE01', title: 'Enable voice', target: 'Bob Kelly', status: 'pending', requester: 'Alice Operator', expiresAt: '2026-12-02 09:00 UTC' }] },
  history: { heading: 'Audit log', chain: 'intact', entries: [{ seq: 1, at: '2026-12-01 09:00', event: 'request.created', line: 'R-SAMPLE01 by Alice Operator' }] },
};
