/** Data that binds every field of each card template, for rendering and validating each one without a conversation. */
export const cardSamples: Record<string, Record<string, unknown>> = {
  help: { tenantLabel: 'x', commands: [{ usage: 'help', summary: 's', kind: 'answers at once' }] },
  'enable-voice-form': { user: 'bob.kelly@contoso.com', displayName: 'Bob Kelly', number: '' },
  'choose-user': { query: 'Bob', count: 2, hint: 'Pick one.', users: [{ label: 'Bob', choice: { action: 'enable-voice', user: 'b' }, fallbackChoice: { verb: 'chooseUser', action: 'enable-voice', user: 'b' } }] },
  request: { id: 'R-1', title: 't', target: 'x', statusLine: 's', statusColor: 'Good', requester: 'r', createdAt: 'c', expiresAt: 'e', risk: 'Medium risk', riskColor: 'Warning', changes: [{ property: 'p', from: 'a', to: 'b' }], hasChanges: true, steps: [{ mark: '○', title: '1. t', line: 'Set-CsUser' }], hasSteps: true, notes: [{ text: 'n' }], decision: 'd', hasVerification: true, verification: [{ mark: '✅', property: 'p', actual: 'a', expected: 'e' }], stale: [{ property: 'p', value: 'v' }], isStale: true, error: '', pending: true, isBatch: true, batchSummary: 's', batchRows: [{ label: 'row 1', value: 'v' }] },
  'assign-site-form': { user: 'bob.kelly@contoso.com', site: 'Seattle', sites: [{ title: 'Seattle', value: 'Seattle' }] },
  'international-calling-form': { user: 'bob.kelly@contoso.com', mode: 'block' },
  'bulk-enable-form': { maxRows: '5,000' },
  'user-status': { target: 'x', summary: 's', summaryColor: 'Good', moduleVersion: 'm', facts: [{ name: 'n', value: 'v' }], fixes: [{ text: 'f' }], notes: [] },
  'configure-hybrid-form': { edgeFqdn: 'ap.contoso.com', current: '(not set)', sites: 'Seattle: ap.contoso.com' },
  facts: { title: 't', subtitle: 's', summary: 's', summaryColor: 'Good', facts: [{ name: 'n', value: 'v' }], todo: [{ text: 't' }], notes: [{ text: 'n' }] },
  'register-mediation-server-form': { fqdn: 'ms1.contoso.com', site: 'Seattle', sites: [{ title: 'Seattle (ap.contoso.com)', value: 'Seattle' }], displayName: '', upn: '', domain: 'contoso.com', hint: 'h' },
  pending: { heading: 'h', requests: [{ id: 'R-1', title: 't', target: 'x', status: 'pending', requester: 'r', expiresAt: 'e' }] },
  history: { heading: 'h', chain: 'c', entries: [{ seq: 1, at: 'a', event: 'e', line: 'l' }] },
  'network-check': { title: 't', subtitle: 's', summary: 's', summaryColor: 'Good', items: [{ mark: '✅', check: 'c', evidence: 'e', fix: 'f' }, { mark: '✅', check: 'c', evidence: 'e', fix: '' }], notes: [{ text: 'n' }] },
};
