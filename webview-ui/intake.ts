/**
 * Getting an image into the panel: paste (Ctrl/Cmd+V), drop from the OS (bytes read here) or from
 * VS Code's Explorer and tabs (URIs the host reads), and the host's file picker. What the panel
 * takes is the formats table's (src/protocol/imageFormats.ts), checked here as the host checks it,
 * so an image the engine cannot read is refused with the reason before anything shows it.
 */
import { PANEL_FORMATS, checkPanelImage, formatForFileName, formatForMimeType, formatNames, refusalFor, sizeProblem, type ImageFormat } from '../src/protocol/imageFormats';

export interface IntakeHandlers {
  onImageData(name: string, bytes: Uint8Array<ArrayBuffer>): void;
  onUris(uris: string[]): void;
  onError(message: string): void;
}

/**
 * Before reading a file: the format its type or name claims, or an error message naming the file
 * and what is wrong (a format the panel cannot take, or its size).
 */
export function checkImageFile(file: { name: string; type: string; size: number }): { format: ImageFormat } | { error: string } {
  const name = file.name || 'The dropped file';
  const format = formatForMimeType(file.type) ?? formatForFileName(file.name);
  if (!format) return { error: `${name} is not an image Loupe can read (${file.type || 'unknown type'}). Use ${formatNames(PANEL_FORMATS)}.` };
  const problem = refusalFor(name, format, 'panel') ?? sizeProblem(name, file.size);
  return problem ? { error: problem } : { format };
}

/** After reading it: the bytes, checked by their signature exactly as the host checks them. */
export function checkImageBytes(name: string, bytes: Uint8Array): { error: string } | undefined {
  const checked = checkPanelImage(name, bytes);
  return 'problem' in checked ? { error: checked.problem } : undefined;
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
  const name = file.name || `pasted-image.${checked.format.extensions[0]}`;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const refused = checkImageBytes(name, bytes);
  if (refused) return handlers.onError(refused.error);
  handlers.onImageData(name, bytes);
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
