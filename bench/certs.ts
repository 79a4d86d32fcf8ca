/**
 * Certificate benchmark (not a test): key + CSR generation with ours (Node's async RSA keygen + node-forge
 * CSR signed natively) against `openssl req -newkey rsa:2048 -nodes` on the same machine, interleaved, medians
 * of N runs; and the event-loop delay a 5 ms timer sees while ours runs, next to what a synchronous keygen
 * would cost, to show that no other user's turn waits. Also the PFX step of `cert import`.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createKeyAndCsr, createLabRoot, importIssued, issueFromCsr } from '../src/certs/authority';
import { machineInfo } from './lib/machine';
import { max, median, ms, percentile } from './lib/stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);

/** Runs fn while a 5 ms interval measures how late each tick is. */
async function withLoopDelay<T>(fn: () => Promise<T> | T): Promise<{ value: T; elapsed: number; lags: number[] }> {
  const lags: number[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - last - 5));
    last = now;
  }, 5);
  const t = performance.now();
  const value = await fn();
  const elapsed = performance.now() - t;
  clearInterval(timer);
  const now = performance.now();
  lags.push(Math.max(0, now - last - 5)); // the wait of the tick that was due while fn held the loop
  return { value, elapsed, lags };
}

function opensslReq(): number {
  const t = performance.now();
  execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-out', '/dev/null', '-subj', '/CN=gw1.contoso.com', '-addext', 'subjectAltName=DNS:gw1.contoso.com', '-sha256'], { stdio: 'ignore' });
  return performance.now() - t;
}

async function main(): Promise<void> {
  console.log(JSON.stringify(machineInfo()));
  await createKeyAndCsr('warm.contoso.com');
  opensslReq();
  const ours: number[] = [];
  const theirs: number[] = [];
  const lags: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await withLoopDelay(() => createKeyAndCsr('gw1.contoso.com'));
    ours.push(r.elapsed);
    lags.push(...r.lags);
    theirs.push(opensslReq());
  }
  // The same timer while nothing runs here: what the machine's other load alone does to it.
  const idleLags: number[] = [];
  for (let i = 0; i < RUNS; i++) idleLags.push(...(await withLoopDelay(() => new Promise((r) => setTimeout(r, median(ours))))).lags);
  const syncLags: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await withLoopDelay(() => generateKeyPairSync('rsa', { modulusLength: 2048 }));
    syncLags.push(max(r.lags));
  }
  const ca = await createLabRoot('Bench Root');
  const gw = await createKeyAndCsr('gw1.contoso.com');
  const cert = issueFromCsr(gw.csrPem, ca);
  const pfx: number[] = [];
  const pfxLags: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await withLoopDelay(() => importIssued({ fqdn: 'gw1.contoso.com', issuedPem: cert, keyPem: gw.keyPem, caPem: ca.certPem, password: 'bench-password' }));
    pfx.push(r.elapsed);
    pfxLags.push(max(r.lags));
  }
  const ratio = median(ours) / median(theirs);
  console.log(`key + CSR, ${RUNS} runs each, interleaved`);
  console.log(`  ours (crypto.generateKeyPair async + forge CSR): median ${ms(median(ours))} ms, p90 ${ms(percentile(ours, 90))} ms`);
  console.log(`  openssl req -newkey rsa:2048 -nodes:             median ${ms(median(theirs))} ms, p90 ${ms(percentile(theirs, 90))} ms`);
  console.log(`  ratio ours/openssl (medians): ${ratio.toFixed(2)}x (target <= 1.5x)`);
  console.log(`event-loop delay of a 5 ms timer while ours runs: p50 ${ms(percentile(lags, 50))} ms, p99 ${ms(percentile(lags, 99))} ms, max ${ms(max(lags))} ms over ${lags.length} ticks`);
  console.log(`  baseline, the same timer while this process sleeps: p50 ${ms(percentile(idleLags, 50))} ms, p99 ${ms(percentile(idleLags, 99))} ms, max ${ms(max(idleLags))} ms over ${idleLags.length} ticks`);
  console.log(`  for comparison, generateKeyPairSync holds the loop: max delay median ${ms(median(syncLags))} ms (5 runs)`);
  console.log(`cert import (checks + AES-256 PFX): median ${ms(median(pfx))} ms, worst loop delay ${ms(max(pfxLags))} ms`);
}

void main();
