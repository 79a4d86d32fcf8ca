/**
 * Real peers for the network tests: dnsmasq, openssl s_server, sipp (behind socat for TLS, since Debian's
 * sipp is built without TLS) and plain TCP listeners, all on loopback addresses and free high ports.
 * Every process started here is killed by stopAll(), which the suites call from their `after` hooks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const running = new Set<ChildProcess>();

/** A missing tool fails under CI=true (these tests must run there) and skips with the reason elsewhere. */
export function requireTools(ctx: Mocha.Context, ...tools: string[]): void {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length === 0) return;
  const reason = `${missing.join(', ')} not found; install with \`apt-get install -y dnsmasq sip-tester openssl socat\``;
  if (process.env.CI === 'true') throw new Error(`${reason}. Under CI=true the real-peer tests must run, so this is a failure.`);
  console.warn(`      skipped: ${reason}`);
  ctx.skip();
}

export async function freePort(host = '127.0.0.1', kind: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const dgram = await import('node:dgram');
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, host, () => r()));
    const port = s.address().port;
    s.close();
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export function start(command: string, args: string[], options: { cwd?: string } = {}): ChildProcess {
  // stdin stays open: openssl s_server closes its connection when its stdin ends.
  const child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  (child as ChildProcess & { output: () => string }).output = () => output;
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

export function outputOf(child: ChildProcess): string {
  return (child as ChildProcess & { output?: () => string }).output?.() ?? '';
}

/** Waits until host:port accepts a TCP connection, or the process dies. */
export async function waitForTcp(child: ChildProcess, host: string, port: number, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${child.spawnfile} exited (${child.exitCode}): ${outputOf(child)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${child.spawnfile} did not listen on ${host}:${port} within ${timeoutMs} ms: ${outputOf(child)}`);
}

export async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL after a second, for every process still running. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const hard = setTimeout(() => child.kill('SIGKILL'), 1000);
          child.once('exit', () => {
            clearTimeout(hard);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

export interface ZoneRecords {
  /** name → addresses */
  a: Record<string, string[]>;
  /** name → SRV */
  srv: Record<string, Array<{ name: string; port: number; priority: number; weight: number }>>;
  cname: Record<string, string>;
  /** Zones answered locally: names under them that are not listed are NXDOMAIN. */
  local: string[];
  /** Zones forwarded to a server that never answers. */
  deadZones?: string[];
}

export async function startDnsmasq(zone: ZoneRecords, host = '127.0.0.1'): Promise<{ server: string; child: ChildProcess }> {
  const port = await freePort(host, 'udp');
  const deadPort = await freePort(host, 'udp');
  const args = ['--keep-in-foreground', '--no-resolv', '--no-hosts', '--no-poll', '--conf-file=/dev/null', '--pid-file=', `--listen-address=${host}`, '--bind-interfaces', `--port=${port}`, '--user=root', '--log-facility=-'];
  for (const z of zone.local) args.push(`--local=/${z}/`);
  for (const [name, addresses] of Object.entries(zone.a)) for (const a of addresses) args.push(`--host-record=${name},${a}`);
  for (const [name, records] of Object.entries(zone.srv)) for (const r of records) args.push(`--srv-host=${name},${r.name},${r.port},${r.priority},${r.weight}`);
  for (const [name, target] of Object.entries(zone.cname)) args.push(`--cname=${name},${target}`);
  for (const z of zone.deadZones ?? []) args.push(`--server=/${z}/${host}#${deadPort}`);
  const child = start('dnsmasq', args);
  const { promises: dns } = await import('node:dns');
  const probe = Object.keys(zone.a)[0]!;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${outputOf(child)}`);
    const r = new dns.Resolver({ timeout: 200, tries: 1 });
    r.setServers([`${host}:${port}`]);
    return r.resolve4(probe).then(
      () => true,
      () => false,
    );
  }, 'dnsmasq');
  return { server: `${host}:${port}`, child };
}

/** The OPTIONS scenario sipp answers as a UAS: 200 OK with an Allow and a Server header. */
export function writeSippScenario(dir: string): string {
  const file = path.join(dir, 'options-uas.xml');
  fs.writeFileSync(
    file,
    `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="OPTIONS UAS">
  <recv request="OPTIONS" crlf="true"/>
  <send>
    <![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE
Server: SIPp UAS
Content-Length: 0

    ]]>
  </send>
</scenario>
`,
  );
  return file;
}

/** A TCP listener that accepts and then never says anything: the peer that never answers. */
export async function silentListener(host: string): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export async function openListener(host: string, port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}
