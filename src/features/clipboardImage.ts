/**
 * Reads an image from the OS clipboard of the machine the extension host runs on, with the tool
 * each platform has: wl-paste (Wayland) or xclip (X11) on Linux, PowerShell on Windows, osascript
 * on macOS. Every way it can fail ends in a message that says what to do. No VS Code API here.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { formatBytes } from '../protocol/byteSizes';
import { MAX_IMAGE_BYTES } from '../protocol/imageFormats';

const TIMEOUT_MS = 10_000;
// Room for the largest image Loupe reads in the tools' widest encoding (osascript's hex, 2 x).
const MAX_OUTPUT_BYTES = 2 * MAX_IMAGE_BYTES + 64 * 1024;

export class ClipboardImageError extends Error {
  override name = 'ClipboardImageError';
}

const PASTE_INSTEAD = 'You can also paste the image straight into the Loupe panel with Ctrl/Cmd+V.';

type Run = (command: string, args: string[]) => Promise<Buffer>;

/** Runs tools in `env` (whose PATH and DISPLAY they use); a missing tool fails with `ENOENT`. */
const runIn = (env: NodeJS.ProcessEnv): Run => (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, args, { env, encoding: 'buffer', maxBuffer: MAX_OUTPUT_BYTES, timeout: TIMEOUT_MS, windowsHide: true }, (error, stdout, stderr) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
        reject(new ClipboardImageError(`The clipboard image is larger than the ${formatBytes(MAX_IMAGE_BYTES)} Loupe reads. Save a smaller copy of it and open that file.`));
      } else if (error) {
        const detail = Buffer.from(stderr).toString('utf8').trim();
        reject(Object.assign(error, { detail }));
      } else resolve(stdout);
    });
  });

const isMissingTool = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

export async function readClipboardImage(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): Promise<Uint8Array> {
  const runTool = runIn(env);
  switch (platform) {
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return readLinux(env, runTool);
    case 'win32':
      return readWindows(runTool);
    case 'darwin':
      return readMac(runTool);
    default:
      throw new ClipboardImageError(`Reading images from the clipboard is not supported on ${platform}. ${PASTE_INSTEAD}`);
  }
}

/**
 * Whether this machine has a way to read the clipboard at all, without running anything (a few
 * stat calls): Windows and macOS always do; Linux needs a display and wl-paste or xclip on PATH.
 * It says nothing about what the clipboard holds.
 */
export async function clipboardImageReaderAvailable(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (platform === 'win32' || platform === 'darwin') return true;
  if (platform !== 'linux' && platform !== 'freebsd' && platform !== 'openbsd') return false;
  const onPath = async (tool: string) => {
    for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
      if (await access(join(dir, tool), constants.X_OK).then(() => true, () => false)) return true;
    }
    return false;
  };
  return Boolean((env.WAYLAND_DISPLAY && (await onPath('wl-paste'))) || (env.DISPLAY && (await onPath('xclip'))));
}

async function readLinux(env: NodeJS.ProcessEnv, runTool: Run): Promise<Uint8Array> {
  const missing: string[] = [];
  if (env.WAYLAND_DISPLAY) {
    try {
      const types = (await runTool('wl-paste', ['--list-types'])).toString('utf8');
      if (!/^image\/png$/m.test(types)) throw noImage(types.split('\n').filter(Boolean));
      return await runTool('wl-paste', ['--no-newline', '--type', 'image/png']);
    } catch (error) {
      if (!isMissingTool(error)) throw clipboardFailure('wl-paste', error);
      missing.push('wl-clipboard (Wayland)');
    }
  }
  if (env.DISPLAY) {
    try {
      const targets = (await runTool('xclip', ['-selection', 'clipboard', '-t', 'TARGETS', '-o'])).toString('utf8');
      if (!/^image\/png$/m.test(targets)) throw noImage(targets.split('\n').filter(Boolean));
      return await runTool('xclip', ['-selection', 'clipboard', '-t', 'image/png', '-o']);
    } catch (error) {
      if (!isMissingTool(error)) throw clipboardFailure('xclip', error);
      missing.push('xclip (X11)');
    }
  }
  if (!env.WAYLAND_DISPLAY && !env.DISPLAY) {
    throw new ClipboardImageError(
      'Loupe cannot reach a clipboard here: VS Code runs its extensions on a machine without a desktop (a remote, container or browser session). ' +
        PASTE_INSTEAD,
    );
  }
  throw new ClipboardImageError(`Reading images from the clipboard on Linux needs ${missing.join(' or ')}: install it (e.g. "sudo apt install xclip" or "sudo apt install wl-clipboard"). ${PASTE_INSTEAD}`);
}

// System.Windows.Forms gives the clipboard image; PNG bytes come back as base64 on stdout.
const POWERSHELL_SCRIPT = [
  'Add-Type -AssemblyName System.Windows.Forms, System.Drawing;',
  '$image = Get-Clipboard -Format Image;',
  'if ($image -eq $null) { exit 3 }',
  '$stream = New-Object System.IO.MemoryStream;',
  '$image.Save($stream, [System.Drawing.Imaging.ImageFormat]::Png);',
  '[Console]::Out.Write([Convert]::ToBase64String($stream.ToArray()))',
].join(' ');

async function readWindows(runTool: Run): Promise<Uint8Array> {
  try {
    const base64 = (await runTool('powershell.exe', ['-NoProfile', '-NonInteractive', '-STA', '-Command', POWERSHELL_SCRIPT])).toString('ascii').trim();
    if (!base64) throw noImage([]);
    return new Uint8Array(Buffer.from(base64, 'base64'));
  } catch (error) {
    if ((error as { code?: unknown }).code === 3) throw noImage([]);
    if (error instanceof ClipboardImageError) throw error;
    throw clipboardFailure('PowerShell', error);
  }
}

async function readMac(runTool: Run): Promise<Uint8Array> {
  try {
    const output = (await runTool('osascript', ['-e', 'the clipboard as «class PNGf»'])).toString('utf8');
    return parseAppleScriptData(output);
  } catch (error) {
    if (error instanceof ClipboardImageError) throw error;
    // osascript reports a clipboard without PNG data as a failed coercion (error -1700).
    if (/-1700|can.t make/i.test((error as { detail?: string }).detail ?? '')) throw noImage([]);
    throw clipboardFailure('osascript', error);
  }
}

/** osascript prints data as `«data PNGf89504E47…»`; returns those bytes. */
export function parseAppleScriptData(output: string): Uint8Array {
  const match = /«data PNGf([0-9A-Fa-f]*)»/.exec(output);
  if (!match || match[1]!.length === 0) throw noImage([]);
  return new Uint8Array(Buffer.from(match[1]!, 'hex'));
}

function noImage(types: string[]): ClipboardImageError {
  const holds = types.some((type) => /text|STRING/i.test(type)) ? ' (it holds text)' : '';
  return new ClipboardImageError(`The clipboard holds no image${holds}. Copy a screenshot or an image first, then run the command again.`);
}

function clipboardFailure(tool: string, error: unknown): ClipboardImageError {
  if (error instanceof ClipboardImageError) return error;
  const detail = (error as { detail?: string }).detail || (error as Error).message;
  return new ClipboardImageError(`Could not read the clipboard with ${tool}: ${detail}. ${PASTE_INSTEAD}`);
}
