/**
 * Runs commands with no way out: a fresh network namespace with only loopback, /etc/resolv.conf
 * pointing at a DNS logger on 127.0.0.1:53 (which answers with an unreachable address), and every
 * command under `strace -f` (connect, sendto, sendmsg, openat). Reports each DNS query, every IPv4/IPv6 socket call, the files onnxruntime's
 * telemetry touches, and the /tmp/mat-debug-<pid>.log files left behind: the evidence for
 * docs/privacy.md. The commands get this process's environment without ORT_DISABLE_TELEMETRY
 * (the test runner sets it for test processes), so each program must disable telemetry itself.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths';

export interface IsolatedRun {
  name: string;
  argv: string[];
}

export interface RunReport {
  name: string;
  exitCode: number | null;
  signal: string | null;
  stderrTail: string;
  /** IPv4/IPv6 connect/sendto/sendmsg calls, and lookups through nscd's socket, as strace printed them. */
  networkCalls: string[];
  /** Opens of /etc/machine-id, the telemetry queue and the mat-debug log. */
  telemetryFiles: string[];
  /** /tmp/mat-debug-<pid>.log files of the run's processes that exist after it (then removed). */
  matDebugFiles: string[];
}

export interface IsolationReport {
  dnsQueries: string[];
  runs: RunReport[];
}

const TELEMETRY_FILE = /machine-id|Microsoft\/DeveloperTools|mat-debug-/;
const NETWORK_CALL = /^\d+\s+(connect|sendto|sendmsg)\(.*(AF_INET6?\b|nscd)/;

/** This process's environment without ORT_DISABLE_TELEMETRY: a program must turn telemetry off itself. */
export function programEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.ORT_DISABLE_TELEMETRY;
  return env;
}

/** Why the test cannot run here, or undefined when it can. */
export function isolationUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only';
  if (!existsSync('/usr/bin/strace')) return 'strace is not installed (apt-get install strace)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'ip is not installed (apt-get install iproute2)';
  const probe = spawnSync('unshare', ['--mount', '--net', 'true']);
  if (probe.status !== 0) return `unshare --mount --net is not permitted here (${probe.stderr?.toString().trim() || probe.error?.message})`;
  return undefined;
}

/** Runs `runs` concurrently in one fresh namespace (see the header); returns when all have exited. */
export function runIsolated(runs: IsolatedRun[], timeoutMs: number): IsolationReport {
  const result = spawnSync('unshare', ['--mount', '--net', '--', process.execPath, '--import', 'tsx', __filename, JSON.stringify(runs)], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`the isolated run failed (${result.status ?? result.signal}): ${result.stderr}`);
  return JSON.parse(result.stdout) as IsolationReport;
}

function nsOf(pid: number | 'self', kind: 'net' | 'mnt'): string {
  return readlinkSync(`/proc/${pid}/ns/${kind}`);
}

/** The name a DNS message asks for, and where its question ends. */
function question(message: Buffer): { name: string; end: number } {
  const labels: string[] = [];
  let at = 12;
  for (; at < message.length && message[at] !== 0 && labels.length < 64; at += message[at] + 1) {
    labels.push(message.subarray(at + 1, at + 1 + message[at]).toString('latin1'));
  }
  return { name: labels.join('.'), end: at + 5 };
}

/**
 * Answers every A query with 192.0.2.1 (a documentation address, unreachable here), so a client
 * that gets past the lookup goes on to connect() to a non-loopback address, which strace shows.
 */
function answer(query: Buffer): Buffer {
  const { end } = question(query);
  const isA = query.readUInt16BE(end - 4) === 1;
  const header = Buffer.from([0, 0, 0x81, 0x80, 0, 1, 0, isA ? 1 : 0, 0, 0, 0, 0]);
  query.copy(header, 0, 0, 2);
  const record = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
  return Buffer.concat([header, query.subarray(12, end), isA ? record : Buffer.alloc(0)]);
}

async function startDnsLogger(queries: string[]): Promise<() => void> {
  const udp = createSocket('udp4', (message, from) => {
    queries.push(question(message).name);
    udp.send(answer(message), from.port, from.address);
  });
  const tcp = createServer((socket) => socket.once('data', (data) => queries.push(question(data.subarray(2)).name)));
  await Promise.all([
    new Promise<void>((resolve) => udp.bind(53, '127.0.0.1', resolve)),
    new Promise<void>((resolve) => tcp.listen(53, '127.0.0.1', resolve)),
  ]);
  return () => {
    udp.close();
    tcp.close();
  };
}

function traced(run: IsolatedRun, traceFile: string, env: NodeJS.ProcessEnv): Promise<RunReport> {
  const child = spawn('/usr/bin/strace', ['-f', '-qq', '-o', traceFile, '-e', 'trace=connect,sendto,sendmsg,openat', '--', ...run.argv], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  return new Promise((resolve) =>
    child.on('close', (exitCode, signal) => {
      const trace = readFileSync(traceFile, 'utf8').split('\n');
      const pids = new Set(trace.map((line) => line.split(' ', 1)[0]).filter((pid) => /^\d+$/.test(pid)));
      const matDebugFiles = [...pids].map((pid) => `/tmp/mat-debug-${pid}.log`).filter((file) => existsSync(file));
      for (const file of matDebugFiles) rmSync(file);
      resolve({
        name: run.name,
        exitCode,
        signal,
        stderrTail: stderr,
        networkCalls: trace.filter((line) => NETWORK_CALL.test(line)),
        telemetryFiles: trace.filter((line) => line.includes('openat(') && TELEMETRY_FILE.test(line)),
        matDebugFiles,
      });
    }),
  );
}

/** Inside the namespace: loopback up, resolver redirected, logger on, commands traced. */
async function probe(runs: IsolatedRun[]): Promise<IsolationReport> {
  // Mounting over /etc/resolv.conf is only harmless in a mount namespace of our own.
  if (nsOf('self', 'net') === nsOf(process.ppid, 'net') || nsOf('self', 'mnt') === nsOf(process.ppid, 'mnt')) {
    throw new Error('run this through runIsolated(): it must be in its own network and mount namespace');
  }
  const scratch = mkdtempSync(join(tmpdir(), 'loupe-netns-'));
  try {
    const resolvConf = join(scratch, 'resolv.conf');
    writeFileSync(resolvConf, 'nameserver 127.0.0.1\n');
    for (const argv of [['ip', 'link', 'set', 'lo', 'up'], ['mount', '--bind', resolvConf, '/etc/resolv.conf']]) {
      const step = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
      if (step.status !== 0) throw new Error(`${argv.join(' ')}: ${step.stderr ?? step.error?.message}`);
    }
    const dnsQueries: string[] = [];
    const stopLogger = await startDnsLogger(dnsQueries);
    const reports = await Promise.all(runs.map((run, i) => traced(run, join(scratch, `trace-${i}.txt`), programEnv())));
    stopLogger();
    return { dnsQueries, runs: reports };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  probe(JSON.parse(process.argv[2]) as IsolatedRun[]).then(
    (report) => process.stdout.write(JSON.stringify(report)),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
