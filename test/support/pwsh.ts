/**
 * The one place tests find pwsh. Missing pwsh fails the run under CI=true (a skipped PowerShell suite must never
 * pass CI) and skips with a written reason elsewhere.
 */
import { locatePwsh } from '../../src/tenant/powershell/locate-pwsh';

export function findPwsh(): string | undefined {
  return locatePwsh(process.env.PWSH_PATH);
}

/** Call from a suite's `before` hook: returns the pwsh path, or skips / fails the suite. */
export function requirePwsh(ctx: Mocha.Context): string {
  const found = findPwsh();
  if (found) return found;
  const reason = 'pwsh not found (PWSH_PATH, PATH, ~/.dotnet/tools/pwsh); install it with `dotnet tool install --global PowerShell --version 7.6.9`';
  if (process.env.CI === 'true') throw new Error(`${reason}. Under CI=true the PowerShell tests must run, so this is a failure.`);
  console.warn(`      skipped: ${reason}`);
  ctx.skip();
}
