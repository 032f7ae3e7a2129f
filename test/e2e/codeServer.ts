/**
 * Runs a real VS Code for the e2e suite: code-server (installed by scripts/install-code-server.sh)
 * on a free loopback port, with a fresh user-data and extensions dir, the built VSIX installed,
 * and user settings written before start. Nothing listens beyond 127.0.0.1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/paths';

export const codeServerBin =
  process.env.LOUPE_CODE_SERVER ?? join(process.env.LOUPE_E2E_TOOLS ?? join(repoRoot, '.cache', 'e2e-tools'), 'bin', 'code-server');
export const vsixPath = process.env.LOUPE_VSIX ?? join(repoRoot, 'loupe-linux-x64.vsix');

export interface CodeServer {
  url: string;
  root: string;
  /** Output so far, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export function assertToolsPresent(): void {
  if (!existsSync(codeServerBin)) throw new Error(`code-server is not installed at ${codeServerBin}: run "bash scripts/install-code-server.sh".`);
  if (!existsSync(vsixPath)) throw new Error(`The extension package ${vsixPath} does not exist: run "npm run package" first.`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** `extensions`: more VSIX files to install beside Loupe's (a test's own helper extension). */
export async function startCodeServer(options: { settings: Record<string, unknown>; extensions?: string[] }): Promise<CodeServer> {
  assertToolsPresent();
  const root = mkdtempSync(join(tmpdir(), 'loupe-e2e-'));
  const userDataDir = join(root, 'user-data');
  const extensionsDir = join(root, 'extensions');
  mkdirSync(extensionsDir, { recursive: true });
  // code-server is a remote window: machine-scoped settings (loupe.model.path is one: a path on the
  // machine the extension runs on) are read from the server's Machine settings, not the User ones.
  for (const scope of ['User', 'Machine']) {
    mkdirSync(join(userDataDir, scope), { recursive: true });
    writeFileSync(join(userDataDir, scope, 'settings.json'), JSON.stringify(options.settings, null, 2));
  }
  // LOUPE_HOME: the alt-text cache is per user (src/altText/altCache.ts); each session starts empty.
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_DATA_HOME: join(root, 'data'),
    LOUPE_HOME: join(root, 'loupe-home'),
    ONNXRUNTIME_NODE_INSTALL: 'skip',
  };
  const common = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

  for (const vsix of [vsixPath, ...(options.extensions ?? [])]) {
    const install = spawnSync(codeServerBin, [...common, '--install-extension', vsix], { env, encoding: 'utf8', timeout: 180_000 });
    if (install.status !== 0 || !/successfully installed/i.test(install.stdout + install.stderr)) {
      throw new Error(`Installing ${vsix} into code-server failed (exit ${install.status}):\n${install.stdout}\n${install.stderr}`);
    }
  }

  const port = await freePort();
  const child: ChildProcess = spawn(
    codeServerBin,
    [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override', '--ignore-last-opened'],
    { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      // code-server starts children (extension host, engine); end the whole process group it leads.
      process.kill(-child.pid!, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (!process.env.LOUPE_E2E_KEEP) rmSync(root, { recursive: true, force: true });
  };

  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return { url, root, log: () => output, stop };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`code-server did not answer on ${url} within 90 s:\n${output}`);
}
