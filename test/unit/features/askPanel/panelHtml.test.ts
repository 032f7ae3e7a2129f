/** The panel page's Content Security Policy. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { panelCsp, panelHtml } from '../../../../src/features/askPanel/panelHtml';

const page = { cspSource: 'https://ext.vscode-cdn.net', scriptUri: 'https://ext.vscode-cdn.net/dist/webview.js', styleUri: 'https://ext.vscode-cdn.net/dist/webview.css', nonce: 'abc123' };

describe('panel page', () => {
  it('loads images only from blob: (the image) and data: (thumbnail, inline answer images), nothing wider', () => {
    const directives = Object.fromEntries(panelCsp(page).split('; ').map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1)]));
    assert.deepEqual(directives, {
      'default-src': ["'none'"],
      'img-src': ['blob:', 'data:'],
      'style-src': ['https://ext.vscode-cdn.net'],
      'script-src': ["'nonce-abc123'"],
    });
  });

  it('runs only its own script, by nonce', () => {
    const html = panelHtml(page);
    assert.ok(html.includes(`content="${panelCsp(page)}"`));
    assert.deepEqual([...html.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag), ['<script nonce="abc123" src="https://ext.vscode-cdn.net/dist/webview.js">']);
  });
});
