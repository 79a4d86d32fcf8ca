/** Maps an error reported by a cmdlet (message, FullyQualifiedErrorId, category) to a TenantError kind. */
import type { TenantErrorKind } from '../port';
import type { PwshError } from './envelope';

const transient = /TooManyRequests|Too Many Requests|\b429\b|throttl|\b503\b|ServiceUnavailable|temporarily unavailable|connection (was |has been )?(lost|closed|reset|aborted)|An existing connection was forcibly closed|The operation has timed out/i;
/** The Teams module's wording when the session has no (valid) token any more. */
const authExpired = /must call the Connect-MicrosoftTeams cmdlet|access token (has )?expired|token is expired|AADSTS700082|AADSTS50173|Please (re-?)?run Connect-MicrosoftTeams/i;
/** PowerShell's own binder: wrong name, wrong type, missing mandatory value, failed validation. */
const binder = /^(ParameterBinding|ParameterArgument|NamedParameterNotFound|MissingArgument|MissingMandatoryParameter|AmbiguousParameter|AmbiguousParameterSet|PositionalParameterNotFound|InputObjectNotBound|CannotConvertArgument)/;

export function isAuthExpired(error: PwshError): boolean {
  return authExpired.test(error.message) || authExpired.test(error.errorId ?? '');
}

export function classifyError(error: PwshError): TenantErrorKind {
  const id = error.errorId ?? '';
  const category = error.category ?? '';
  if (transient.test(error.message) || transient.test(id)) return 'transient';
  // A missing cmdlet is ObjectNotFound to PowerShell, but to us it is a broken module, not a missing user.
  if (id.startsWith('CommandNotFoundException')) return 'cmdlet-error';
  if (binder.test(id) || category === 'InvalidArgument' || category === 'InvalidData') return 'invalid-parameter';
  if (category === 'ObjectNotFound' || /\bnot found\b|cannot find|couldn't find|does not exist/i.test(error.message)) return 'not-found';
  return 'cmdlet-error';
}
