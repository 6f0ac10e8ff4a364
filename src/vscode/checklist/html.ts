/**
 * The checklist webview's HTML: CSP `default-src 'none'`, scripts only by a fresh nonce, styles
 * and fonts only from the extension's own webview assets (`cspSource`). No 'vscode' import, so
 * it is unit-tested as is.
 */
import { randomBytes } from 'node:crypto';

export function nonce(): string {
  return randomBytes(18)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '');
}

export interface HtmlAssets {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(...)` of dist/webview/checklist.js, checklist.css, codicon.css. */
  script: string;
  style: string;
  codicons: string;
  title: string;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function checklistHtml(a: HtmlAssets, n = nonce()): string {
  const csp = [
    "default-src 'none'",
    `img-src ${a.cspSource} data:`,
    `font-src ${a.cspSource}`,
    `style-src ${a.cspSource} 'nonce-${n}'`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(a.codicons)}" id="vscode-codicon-stylesheet" nonce="${n}">
<link rel="stylesheet" href="${escapeHtml(a.style)}" nonce="${n}">
<title>${escapeHtml(a.title)}</title>
</head>
<body>
<main id="app" aria-live="off"></main>
<div id="live" class="sr-only" role="status" aria-live="polite"></div>
<script nonce="${n}" src="${escapeHtml(a.script)}"></script>
</body>
</html>`;
}
