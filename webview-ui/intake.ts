/**
 * Getting an image into the panel: paste (Ctrl/Cmd+V), drop from the OS (bytes read here) or from
 * VS Code's Explorer and tabs (URIs the host reads), and the host's file picker.
 */
import { IMAGE_MIME_TYPES, MAX_IMAGE_BYTES, imageMimeType } from '../src/protocol/webview';

export interface IntakeHandlers {
  onImageData(name: string, dataUrl: string): void;
  onUris(uris: string[]): void;
  onError(message: string): void;
}

/** The MIME type to read a file as, or an error message naming the file and what is wrong. */
export function checkImageFile(file: { name: string; type: string; size: number }): { mime: string } | { error: string } {
  const mime = (IMAGE_MIME_TYPES as readonly string[]).includes(file.type) ? file.type : imageMimeType(file.name);
  if (!mime) {
    return { error: `${file.name || 'The dropped file'} is not an image Loupe can read (${file.type || 'unknown type'}). Use PNG, JPEG, GIF, WebP, BMP or SVG.` };
  }
  if (file.size > MAX_IMAGE_BYTES) {
    const mb = (size: number) => (size / 1024 / 1024).toFixed(1);
    return { error: `${file.name} is ${mb(file.size)} MB; Loupe reads images up to ${mb(MAX_IMAGE_BYTES)} MB.` };
  }
  return { mime };
}

/** URIs in a drag from VS Code (its own list type first, then the standard one). */
export function urisFromDrop(getData: (type: string) => string): string[] {
  for (const type of ['application/vnd.code.uri-list', 'text/uri-list']) {
    const uris = getData(type)
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    if (uris.length) return uris;
  }
  try {
    const resources: unknown = JSON.parse(getData('resourceurls') || '[]');
    return Array.isArray(resources) ? resources.filter((uri): uri is string => typeof uri === 'string') : [];
  } catch {
    return [];
  }
}

async function readImageFile(file: File, handlers: IntakeHandlers): Promise<void> {
  const checked = checkImageFile(file);
  if ('error' in checked) return handlers.onError(checked.error);
  const bytes = new Uint8Array(await file.arrayBuffer());
  handlers.onImageData(file.name || defaultName(checked.mime), `data:${checked.mime};base64,${toBase64(bytes)}`);
}

function defaultName(mime: string): string {
  return `pasted-image.${mime === 'image/jpeg' ? 'jpg' : mime.replace('image/', '').replace('+xml', '')}`;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export function setupIntake(dropZone: HTMLElement, handlers: IntakeHandlers): void {
  document.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    const image = files.find((file) => file.type.startsWith('image/')) ?? files[0];
    // Text pastes into the question box go through untouched.
    if (!image) return;
    event.preventDefault();
    void readImageFile(image, handlers);
  });

  document.addEventListener('dragover', (event) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    dropZone.classList.add('drag-over');
  });
  document.addEventListener('dragleave', (event) => {
    if (!event.relatedTarget) dropZone.classList.remove('drag-over');
  });
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('drag-over');
    const transfer = event.dataTransfer;
    if (!transfer) return;
    const file = [...transfer.files][0];
    if (file) return void readImageFile(file, handlers);
    const uris = urisFromDrop((type) => transfer.getData(type));
    if (uris.length) return handlers.onUris(uris);
    handlers.onError('Nothing readable was dropped. When dragging from VS Code, hold Shift while you drop.');
  });
}
