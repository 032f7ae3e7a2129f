/**
 * The panel's HTML page and its Content Security Policy: the extension's own script (by nonce) and
 * stylesheet, and images only from blob: URLs (the image, made from the bytes the host sends) and
 * data: URLs (the saved thumbnail, and images inline in an answer, which the sanitizer allows).
 * Nothing from the workspace or the network. No VS Code API here.
 */

export interface PanelPage {
  /** `webview.cspSource`: where the extension's own files are served from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function panelCsp({ cspSource, nonce }: Pick<PanelPage, 'cspSource' | 'nonce'>): string {
  return ["default-src 'none'", 'img-src blob: data:', `style-src ${cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
}

export function panelHtml(page: PanelPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${panelCsp(page)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${page.styleUri}">
  <title>Loupe</title>
</head>
<body>
  <main id="app"></main>
  <script nonce="${page.nonce}" src="${page.scriptUri}"></script>
</body>
</html>`;
}
