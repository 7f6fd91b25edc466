/**
 * The DOM-free pieces the extension reuses: message validation, request/reply matching with a
 * timeout, the page and its CSP, and the formatting the views rely on.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { contentSecurityPolicy, createNonce, escapeHtml, webviewHtml } from '../../webviews/html';
import {
  COMMAND_METHODS,
  parseHostMessage,
  parseWebviewMessage,
  PROTOCOL_VERSION,
  REQUEST_METHODS,
  type ResponseMessage,
} from '../../webviews/protocol';
import { answerRequest, Requester, RpcError } from '../../webviews/rpc';
import { bytes, diffParts, duration, relative, shortDigest, span } from '../../webviews/shared/format';
import { ROOT } from './harness';

describe('webviews: protocol', () => {
  it('accepts each command and request with valid params, and nothing else', () => {
    assert.deepEqual([...COMMAND_METHODS].sort(), [
      'drift/accept',
      'drift/check',
      'drift/reapply',
      'env/copyShare',
      'env/extendTtl',
      'env/open',
      'env/openQuotaSettings',
      'env/promote',
      'env/reseed',
      'env/restart',
      'env/revokeShare',
      'env/share',
      'env/teardown',
      'gates/approve',
      'gates/rerun',
      'pipeline/promote',
      'webview/ready',
    ]);
    assert.deepEqual(REQUEST_METHODS, ['env/logs']);
    const ok: unknown[] = [
      { type: 'command', method: 'webview/ready', params: { app: 'dashboard', version: PROTOCOL_VERSION } },
      { type: 'command', method: 'env/open', params: {} },
      { type: 'command', method: 'env/restart', params: { service: 'web' } },
      { type: 'command', method: 'env/extendTtl', params: { hours: 4 } },
      { type: 'command', method: 'env/openQuotaSettings', params: { source: '/w/.vscode/settings.json' } },
      { type: 'command', method: 'env/revokeShare', params: {} },
      { type: 'command', method: 'gates/rerun', params: { stage: 'staging', gate: 'syntax' } },
      { type: 'command', method: 'drift/accept', params: { resource: 'urn:x' } },
      { type: 'command', method: 'drift/accept', params: {} },
      { type: 'request', id: 7, method: 'env/logs', params: { service: 'web', lines: 100 } },
    ];
    for (const m of ok) assert.deepEqual(parseWebviewMessage(m), m, JSON.stringify(m));
    const bad: unknown[] = [
      null,
      'env/open',
      { type: 'command', method: 'env/delete-everything', params: {} },
      { type: 'command', method: 'toString', params: {} },
      { type: 'command', method: '__proto__', params: {} },
      { type: 'command', method: 'constructor', params: {} },
      { type: 'request', id: 2, method: 'hasOwnProperty', params: {} },
      JSON.parse('{"type":"command","method":"env/open","params":{"__proto__":{"service":"web"}}}'),
      { type: 'command', method: 'env/open' },
      { type: 'command', method: 'env/open', params: { service: 3 } },
      { type: 'command', method: 'env/open', params: { service: 'web', extra: true } },
      { type: 'command', method: 'gates/rerun', params: { gate: 'syntax' } },
      { type: 'command', method: 'env/extendTtl', params: { hours: Number.NaN } },
      { type: 'request', method: 'env/logs', params: { service: 'web' } },
      { type: 'request', id: 1.5, method: 'env/logs', params: { service: 'web' } },
      { type: 'request', id: 1, method: 'env/open', params: {} },
      { type: 'notification', method: 'env/state', params: {} },
    ];
    for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
  });

  it('accepts host notifications and responses only', () => {
    assert.ok(parseHostMessage({ type: 'notification', method: 'gates/progress', params: { gate: {} } }));
    assert.ok(
      parseHostMessage({
        type: 'notification',
        method: 'env/patch',
        params: { services: [{ name: 'web', set: { health: 'unhealthy' } }] },
      }),
    );
    assert.ok(
      parseHostMessage({
        type: 'notification',
        method: 'gates/running',
        params: { stage: 'staging', gates: ['health'], startedAt: '2026-01-01T00:00:00Z' },
      }),
    );
    assert.equal(parseHostMessage({ type: 'notification', method: '__proto__', params: {} }), undefined);
    assert.ok(parseHostMessage({ type: 'response', id: 1, result: { lines: [] } }));
    assert.ok(parseHostMessage({ type: 'response', id: 1, error: { message: 'no' } }));
    assert.equal(parseHostMessage({ type: 'notification', method: 'env/evil', params: {} }), undefined);
    assert.equal(parseHostMessage({ type: 'notification', method: 'env/state', params: 'x' }), undefined);
    assert.equal(parseHostMessage({ type: 'response', id: 'a', result: 1 }), undefined);
    assert.equal(parseHostMessage({ type: 'command', method: 'env/open', params: {} }), undefined);
  });
});

describe('webviews: rpc', () => {
  it('matches replies to requests by id, in any order', async () => {
    const sent: Array<{ id: number; method: string; params: unknown }> = [];
    const r = new Requester((m) => sent.push(m));
    const a = r.request('env/logs', { service: 'web' });
    const b = r.request('env/logs', { service: 'db', lines: 5 });
    assert.deepEqual(
      sent.map((m) => [m.id, m.params]),
      [
        [1, { service: 'web' }],
        [2, { service: 'db', lines: 5 }],
      ],
    );
    assert.equal(r.size, 2);
    assert.equal(r.receive({ type: 'response', id: 2, result: { lines: ['db'] } }), true);
    assert.equal(r.receive({ type: 'response', id: 1, result: { lines: ['web'] } }), true);
    assert.deepEqual(await a, { lines: ['web'] });
    assert.deepEqual(await b, { lines: ['db'] });
    assert.equal(r.size, 0);
    assert.equal(r.receive({ type: 'response', id: 1, result: {} }), false, 'a second answer is ignored');
    assert.equal(r.receive({ type: 'notification', method: 'env/state', params: {} }), false);
  });

  it('fails with a typed error on timeout, remote error, cancel and dispose', async () => {
    const r = new Requester(() => undefined, { timeoutMs: 30 });
    const t0 = Date.now();
    const timeout = await r.request('env/logs', { service: 'web' }).catch((e: unknown) => e);
    assert.ok(RpcError.is(timeout) && timeout.reason === 'timeout', String(timeout));
    // The 30 ms timeout is what is tested: it must not fire early (25: timer granularity).
    assert.ok(Date.now() - t0 >= 25, `timed out after ${Date.now() - t0} ms`);
    assert.match((timeout as Error).message, /env\/logs got no answer within 30 ms/);
    assert.equal(r.receive({ type: 'response', id: 1, result: {} }), false, 'a late answer is dropped');

    const remote = r.request('env/logs', { service: 'web' });
    r.receive({ type: 'response', id: 2, error: { message: 'No service named web.', reason: 'not-found' } });
    const err = await remote.catch((e: unknown) => e);
    assert.ok(
      RpcError.is(err) &&
        err.reason === 'remote' &&
        err.remoteReason === 'not-found' &&
        err.message === 'No service named web.',
    );

    const ac = new AbortController();
    const cancelled = r.request('env/logs', { service: 'web' }, { signal: ac.signal, timeoutMs: 5000 });
    ac.abort();
    assert.equal(((await cancelled.catch((e: unknown) => e)) as RpcError).reason, 'cancelled');

    const closed = r.request('env/logs', { service: 'web' }, { timeoutMs: 5000 });
    r.dispose();
    assert.equal(((await closed.catch((e: unknown) => e)) as RpcError).reason, 'closed');
    assert.equal(r.size, 0);
  });

  it('answers each request exactly once, with the result or the error and its reason', async () => {
    const posted: ResponseMessage[] = [];
    const post = (m: ResponseMessage) => posted.push(m);
    const handlers = {
      'env/logs': ({ service }: { service: string }) => {
        if (service === 'nope') throw Object.assign(new Error('No service named nope.'), { reason: 'not-found' });
        return { lines: [`${service} line`] };
      },
    };
    await answerRequest({ type: 'request', id: 1, method: 'env/logs', params: { service: 'web' } }, handlers, post);
    await answerRequest({ type: 'request', id: 2, method: 'env/logs', params: { service: 'nope' } }, handlers, post);
    await answerRequest({ type: 'request', id: 3, method: 'env/secrets', params: {} }, handlers, post);
    assert.deepEqual(posted, [
      { type: 'response', id: 1, result: { lines: ['web line'] } },
      { type: 'response', id: 2, error: { message: 'No service named nope.', reason: 'not-found' } },
      { type: 'response', id: 3, error: { message: 'Unknown request env/secrets.', reason: 'unknown-method' } },
    ]);
  });
});

describe('webviews: page and CSP', () => {
  it('allows only the nonce script, styles and fonts from the webview origin, and no inline style', () => {
    const nonce = createNonce();
    const csp = contentSecurityPolicy(nonce, 'https://*.vscode-cdn.net');
    assert.equal(
      csp,
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src https://*.vscode-cdn.net; font-src https://*.vscode-cdn.net; img-src https://*.vscode-cdn.net data:; base-uri 'none'; form-action 'none'`,
    );
    assert.doesNotMatch(csp, /unsafe/);
    const page = webviewHtml({
      app: 'pipeline',
      nonce,
      cspSource: 'https://*.vscode-cdn.net',
      scriptUri: 'https://x/p.js?a=1&b=2',
      codiconCssUri: 'https://x/codicon.css',
      title: 'Pipeline <feature/"x">',
    });
    assert.match(
      page,
      /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;nonce-/,
    );
    assert.match(page, /<title>Pipeline &#60;feature\/&#34;x&#34;&#62;<\/title>/);
    assert.match(page, new RegExp(`<script defer nonce="${nonce}" src="https://x/p.js\\?a=1&#38;b=2"></script>`));
    assert.match(page, /<link id="vscode-codicon-stylesheet" rel="stylesheet" href="https:\/\/x\/codicon.css">/);
    assert.equal(page.match(/<script/g)?.length, 1);
    assert.doesNotMatch(page, /<style|style=/);
  });

  it('refuses a weak nonce or a source list that would add directives', () => {
    assert.throws(() => contentSecurityPolicy('abc', 'https://x'), /at least 16/);
    assert.throws(
      () => contentSecurityPolicy(createNonce(), "https://x; script-src 'unsafe-inline'"),
      /not a CSP source list/,
    );
    assert.throws(() => contentSecurityPolicy(createNonce(), "'self' 'unsafe-eval'"), /not a CSP source list/);
    // code-server's webview.cspSource
    assert.match(
      contentSecurityPolicy(createNonce(), "'self' https://*.vscode-cdn.net"),
      /style-src 'self' https:\/\/\*\.vscode-cdn\.net;/,
    );
    const nonces = new Set(Array.from({ length: 50 }, createNonce));
    assert.equal(nonces.size, 50);
    for (const n of nonces) assert.match(n, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });

  it('webview code never writes HTML from strings', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(ROOT, 'webviews'));
    assert.ok(files.length >= 8);
    for (const f of files) {
      const src = readFileSync(f, 'utf8');
      assert.doesNotMatch(
        src,
        /unsafeHTML|unsafeSVG|innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment|\beval\(|new Function/,
        f,
      );
    }
  });
});

describe('webviews: formatting', () => {
  it('reads times, durations, sizes and digests like people write them', () => {
    const now = Date.parse('2025-01-14T12:00:00Z');
    assert.equal(relative('2025-01-14T11:59:40Z', now), 'just now');
    assert.equal(relative('2025-01-14T11:55:00Z', now), '5 min ago');
    assert.equal(relative('2025-01-14T09:00:00Z', now), '3 h ago');
    assert.equal(relative('2025-01-14T15:12:00Z', now), 'in 3 h 12 min');
    assert.equal(relative('2025-01-10T12:00:00Z', now), '4 days ago');
    assert.equal(relative('not a time', now), undefined);
    assert.equal(span(90 * 60_000), '1 h 30 min');
    assert.equal(duration(312), '312 ms');
    assert.equal(duration(1830), '1.8 s');
    assert.equal(duration(125_000), '2 min 5 s');
    assert.equal(duration(undefined), undefined);
    assert.equal(bytes(256 * 1024 * 1024), '256 MiB');
    assert.equal(bytes(1.5 * 1024 ** 3), '1.5 GiB');
    assert.equal(shortDigest(`sha256:${'ab'.repeat(32)}`), 'sha256:abababababab');
    assert.equal(shortDigest(`slipway/web@sha256:${'cd'.repeat(32)}`), 'slipway/web@sha256:cdcdcdcdcdcd');
    assert.equal(shortDigest('slipway/postgres:15'), 'slipway/postgres:15');
    assert.deepEqual(diffParts('slipway/postgres:16', 'slipway/postgres:15'), {
      prefix: 'slipway/postgres:1',
      a: '6',
      b: '5',
      suffix: '',
    });
    assert.deepEqual(diffParts('abc', 'abc'), { prefix: 'abc', a: '', b: '', suffix: '' });
  });
});
