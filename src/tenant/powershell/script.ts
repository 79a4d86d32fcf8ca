/**
 * Turns an allow-listed cmdlet call into ONE line of PowerShell in which no value ever becomes code.
 *
 * The parameters travel as base64 of their JSON (alphabet [A-Za-z0-9+/=], so they cannot close the single-quoted
 * literal that holds them), are decoded inside pwsh into a hashtable and splatted onto the cmdlet. The cmdlet name
 * and parameter names come only from the allow-list. All output and any error become one JSON envelope printed
 * between per-call random markers, so stray host output cannot be mistaken for a result. Several reads may share one
 * line (buildBatchScript): each is the same block, with its own try/catch and its own envelope.
 */
import { randomBytes } from 'node:crypto';
import { cmdlets, isCmdletName, type CmdletName } from '../cmdlets';
import { assertReadCalls, TenantError } from '../port';

/** Cmdlet names are written into the script verbatim, so they must look like Verb-Noun and nothing else. */
const cmdletNamePattern = /^[A-Z][a-z]+-[A-Za-z]+$/;
const base64Pattern = /^[A-Za-z0-9+/=]*$/;

export function newMarker(): string {
  return `SBX${randomBytes(12).toString('hex')}X`;
}

export function toBase64Json(value: unknown): string {
  const b64 = Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
  // Belt and braces: the literal below is only safe because of this alphabet.
  if (!base64Pattern.test(b64)) throw new Error('base64 produced an unexpected character');
  return b64;
}

/** Serialises the envelope in $r into $j, or an envelope saying that serialising failed. */
const serialise =
  `$j = try { ConvertTo-Json -Depth 6 -Compress -EscapeHandling EscapeNonAscii -InputObject $r } ` +
  `catch { ConvertTo-Json -Compress -InputObject @{ ok = $false; error = @{ message = 'The result could not be serialised to JSON.'; errorId = 'SerializationFailed'; category = 'InvalidResult' } } }`;

/** The fixed tail every script shares: serialise the envelope and print it between the markers. */
function emit(marker: string): string {
  return `${serialise}; [Console]::Out.WriteLine('${marker}' + $j + '${marker}')`;
}

/** The catch block: the cmdlet's own message, its FullyQualifiedErrorId and category, plus anything -ErrorVariable saw. */
const errorEnvelope =
  `$r = @{ ok = $false; error = @{ message = $_.Exception.Message; errorId = $_.FullyQualifiedErrorId; ` +
  `category = [string]$_.CategoryInfo.Category; exception = $_.Exception.GetType().FullName; ` +
  `others = @($ev | ForEach-Object { [string]$_ }) } }`;

function checkMarker(marker: string): void {
  if (!/^SBX[0-9a-f]{24}X$/.test(marker)) throw new Error('marker must come from newMarker()');
}

/**
 * One call: decode its parameters, splat them onto the cmdlet, and leave its envelope in $r. The cmdlet name
 * comes from the allow-list and the parameters travel as one base64 literal, whatever they hold.
 */
function callBlock(cmdlet: string, params: Record<string, unknown>): string {
  if (!isCmdletName(cmdlet) || !cmdletNamePattern.test(cmdlet)) throw new Error(`not an allow-listed cmdlet: ${cmdlet}`);
  const payload = toBase64Json(params);
  return (
    `$r = $null; $ev = $null; ` +
    `try { $p = ConvertFrom-Json -AsHashtable -InputObject ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${payload}'))); ` +
    `$o = @(${cmdlet} @p -ErrorAction Stop -ErrorVariable ev 3>$null 4>$null 5>$null 6>$null); ` +
    `$r = @{ ok = $true; output = $o } } catch { ${errorEnvelope} }`
  );
}

/**
 * Builds the line for a call whose cmdlet is allow-listed and whose params were already validated (run validates
 * them once). Also for tests that must hand PowerShell's binder a value zod would have refused.
 */
export function buildScriptUnchecked(cmdlet: string, params: Record<string, unknown>, marker: string): string {
  checkMarker(marker);
  return `& { $ErrorActionPreference = 'Stop'; ${callBlock(cmdlet, params)}; ${emit(marker)} }`;
}

/**
 * Validates a call's parameters against the allow-list: a cmdlet that is not listed is `not-allowed`; a parameter
 * that is not listed, or a bad value, is `invalid-parameter` (as the simulated tenant says). Returns them as bound.
 */
export function validateParams(cmdlet: CmdletName, params: unknown): Record<string, unknown> {
  if (!isCmdletName(cmdlet)) throw new TenantError('not-allowed', `The term '${String(cmdlet)}' is not an allowed cmdlet.`);
  const parsed = cmdlets[cmdlet].params.safeParse(params);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'parameters'}: ${i.message}`).join('; ');
    throw new TenantError('invalid-parameter', `A parameter cannot be bound for ${cmdlet}: ${detail}`);
  }
  // Drop undefined so an omitted optional parameter is not bound at all (JSON would drop it anyway; be explicit).
  return Object.fromEntries(Object.entries(parsed.data as Record<string, unknown>).filter(([, v]) => v !== undefined));
}

/** Validates a call against the allow-list and builds its script; nothing runs when it is refused. */
export function buildScript<N extends CmdletName>(cmdlet: N, params: unknown, marker: string): { script: string; params: Record<string, unknown> } {
  const data = validateParams(cmdlet, params);
  return { script: buildScriptUnchecked(cmdlet, data, marker), params: data };
}

/**
 * Several read-only calls, already validated, in ONE line: each call is the same block as a single call's, in its
 * own try/catch, and its envelope is serialised on its own (a result that cannot be serialised fails that call
 * only). The one envelope printed between the markers carries the calls' envelopes, as JSON text, in order.
 */
export function buildBatchScript(calls: readonly { cmdlet: CmdletName; params: Record<string, unknown> }[], marker: string): string {
  checkMarker(marker);
  assertReadCalls(calls);
  const blocks = calls.map((c) => `${callBlock(c.cmdlet, c.params)}; ${serialise}; $rs.Add($j)`);
  return (
    `& { $ErrorActionPreference = 'Stop'; $rs = [System.Collections.Generic.List[string]]::new(); ` +
    `${blocks.join('; ')}; $r = @{ ok = $true; output = $rs.ToArray() }; ${emit(marker)} }`
  );
}

/** What the connect script needs: which module to import and how Connect-MicrosoftTeams authenticates. */
export interface ConnectPlan {
  /** Name or path given to Import-Module. */
  importModule: string;
  /** Name of the loaded module whose version describe() reports. */
  moduleName: string;
  /** Splatted onto Connect-MicrosoftTeams. */
  connect: Record<string, string>;
  /** A PFX file loaded into an X509Certificate2 and passed as -Certificate. */
  certificate?: { path: string; password?: string };
}

/** Imports the module and connects, once per session; reports the pwsh process id and the module version. */
export function buildConnectScript(plan: ConnectPlan, marker: string): string {
  const payload = toBase64Json(plan);
  return (
    `& { $ErrorActionPreference = 'Stop'; $r = $null; $ev = $null; ` +
    `try { $c = ConvertFrom-Json -AsHashtable -InputObject ([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${payload}'))); ` +
    `if ($null -eq (Get-Module -Name $c.moduleName)) { Import-Module -Name $c.importModule -ErrorAction Stop 3>$null 6>$null }; ` +
    `$a = $c.connect; if ($null -ne $c.certificate) { $a['Certificate'] = [Security.Cryptography.X509Certificates.X509Certificate2]::new($c.certificate.path, [string]$c.certificate.password) }; ` +
    `$null = Connect-MicrosoftTeams @a -ErrorAction Stop -ErrorVariable ev 3>$null 4>$null 6>$null; ` +
    `$r = @{ ok = $true; output = @(@{ pid = $PID; version = [string](Get-Module -Name $c.moduleName).Version }) } } catch { ${errorEnvelope} }; ${emit(marker)} }`
  );
}

/** A cheap round trip that proves the session still answers. */
export function buildPingScript(marker: string): string {
  return `& { $r = @{ ok = $true; output = @(@{ pid = $PID }) }; ${emit(marker)} }`;
}
