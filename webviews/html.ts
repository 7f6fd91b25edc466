/**
 * The HTML page of a webview, with its Content Security Policy. DOM-free and Node-free, so the
 * extension imports it to fill `webview.html`.
 *
 * The policy allows exactly:
 * - scripts: the one bundle carrying this page's nonce (no inline script, no eval);
 * - styles: stylesheets from the webview's own resource origin (`cspSource`: the codicon CSS).
 *   No `'unsafe-inline'`: Lit and @vscode-elements/elements put their styles in constructed
 *   stylesheets (`adoptedStyleSheets`) and set inline styles through the CSSOM only, which the
 *   policy does not restrict;
 * - fonts: from `cspSource` (the codicon font);
 * - images: from `cspSource` and `data:` URLs;
 * - nothing else: no network (`connect-src`), frames, objects, forms, or `<base>`.
 */
import type { WebviewApp } from './protocol';

export interface WebviewHtmlOptions {
  app: WebviewApp;
  /** Fresh for every page: `createNonce()`, or the extension's own from `crypto`. */
  nonce: string;
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(<dist/webviews/<app>.js>)`, as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(<dist/webviews/codicon.css>)`, as a string. */
  codiconCssUri: string;
  /** The document title (screen readers announce it). */
  title: string;
  /**
   * What the panel shows (the host's own key, e.g. JSON of project and branch). The webview keeps
   * it in its saved state, so VS Code hands it back to the host when it restores the panel.
   */
  panel?: string;
}

/** Escapes text for HTML text and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const NONCE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;
// One source of a CSP source list: a host, scheme or wildcard (never a quote, `;` or `,`, which
// would add directives or keywords), or the keyword 'self' (code-server's cspSource starts with it).
const SOURCE = /^(?:'self'|[A-Za-z0-9*:/.\-_[\]]+)$/;

/** 32 random bytes from `crypto`, base64url: a nonce for `webviewHtml`. */
export function createNonce(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The policy for a page: see the top of this file. */
export function contentSecurityPolicy(nonce: string, cspSource: string): string {
  if (!NONCE.test(nonce))
    throw new Error('The webview nonce must be at least 16 base64 characters (use createNonce()).');
  if (
    !cspSource.trim() ||
    !cspSource
      .trim()
      .split(/\s+/)
      .every((s) => SOURCE.test(s))
  )
    throw new Error(`The webview cspSource ${JSON.stringify(cspSource)} is not a CSP source list.`);
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The whole page of one webview app. */
export function webviewHtml(opts: WebviewHtmlOptions): string {
  const csp = contentSecurityPolicy(opts.nonce, opts.cspSource);
  const a = escapeHtml;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${a(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${a(opts.title)}</title>
<link id="vscode-codicon-stylesheet" rel="stylesheet" href="${a(opts.codiconCssUri)}">
<script defer nonce="${a(opts.nonce)}" src="${a(opts.scriptUri)}"></script>
</head>
<body data-app="${a(opts.app)}"${opts.panel === undefined ? '' : ` data-panel="${a(opts.panel)}"`}>
<main id="app" aria-busy="true"></main>
</body>
</html>
`;
}
