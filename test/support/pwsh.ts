/**
 * The one place tests find pwsh. Missing pwsh fails the run under CI=true (a skipped PowerShell suite must never
 * pass CI) and skips with a written reason elsewhere.
 */
import { locatePwsh } from '../../src/tenant/powershell/locate-pwsh';
import { PwshSession } from '../../src/tenant/powershell/session';

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

/** Counts the scripts sent to any pwsh session (round trips: commands, batches, connects, pings) until stop(). */
export function countRoundTrips(): { readonly count: number; stop(): void } {
  const original = PwshSession.prototype.invoke;
  const counter = { count: 0, stop: () => void (PwshSession.prototype.invoke = original) };
  PwshSession.prototype.invoke = function (this: PwshSession, ...args: Parameters<PwshSession['invoke']>) {
    counter.count++;
    return original.apply(this, args);
  };
  return counter;
}
