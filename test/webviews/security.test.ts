/**
 * Everything that came from a branch name, a log, gate output or a spec is shown as text: no
 * script runs, no element is injected, the CSP reports nothing, and nothing leaves the page.
 * Also: the bundles are under 300 KB and the build says their sizes.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { notification } from '../../webviews/protocol';
import { drift, environment, pipeline, XSS_BRANCH, XSS_LOG, XSS_OUTPUT } from './fixtures';
import { buildOnce, webviewSuite, type WebviewPage } from './harness';

async function assertInert(wv: WebviewPage): Promise<void> {
  const { page } = wv;
  await wv.settled(); // an injected image's request is over and its onerror had its turn
  assert.deepEqual(wv.dialogs, [], 'no dialog opened');
  assert.equal(await page.evaluate('window.__pwned'), undefined, 'no injected script ran');
  // Locators pierce shadow roots: nothing in the page or any component.
  assert.equal(await page.locator('img').count(), 0, 'no <img> injected');
  assert.equal(await page.locator('b').count(), 0, 'no <b> injected');
  assert.equal(await page.locator('script').count(), 1, 'only the nonce bundle script');
  assert.equal(await page.locator('[onerror]').count(), 0);
  assert.deepEqual(await wv.cspViolations(), []);
  assert.deepEqual(wv.errors, []);
  assert.deepEqual(wv.blocked, []);
}

describe('webviews: untrusted text and bundles (Chromium)', function () {
  this.timeout(60_000);
  const suite = webviewSuite({ checkPage: false });
  let wv: WebviewPage | undefined;

  it('dashboard: a hostile branch, service name, log line and URL are shown as text', async () => {
    wv = await suite.open('dashboard');
    const { page } = wv;
    const base = environment();
    await wv.send(
      notification('env/state', {
        ...base,
        branch: XSS_BRANCH,
        env: XSS_BRANCH,
        lastOperation: { op: 'up', status: 'failed', at: new Date().toISOString(), error: XSS_OUTPUT },
        services: [
          { ...base.services[0], logs: [XSS_LOG, XSS_OUTPUT], url: 'javascript:window.__pwned=4' },
          { ...base.services[1], name: '<img src=x onerror=alert(2)>', image: XSS_OUTPUT },
        ],
      }),
    );
    await page.getByRole('heading', { level: 1, name: XSS_BRANCH }).waitFor();
    await page.getByRole('button', { name: 'web: show log lines' }).click();
    const logs = page.getByRole('region', { name: 'Recent log lines of web' });
    assert.equal(await logs.locator('pre').textContent(), `${XSS_LOG}\n${XSS_OUTPUT}`);
    await page.getByText('javascript:window.__pwned=4').waitFor();
    assert.equal(await page.locator('a[href^="javascript:"]').count(), 0, 'no javascript: link');
    await page.getByRole('button', { name: '<img src=x onerror=alert(2)>: show log lines' }).click();
    await page.getByRole('alert').getByText(XSS_OUTPUT).waitFor();
    await assertInert(wv);
  });

  it('pipeline: hostile gate names, reasons, output and evidence are shown as text', async () => {
    wv = await suite.open('pipeline');
    const { page } = wv;
    const base = pipeline({ branch: XSS_BRANCH });
    const [first, ...rest] = base.promotions;
    const hostile = {
      ...first,
      gates: first.gates.map((g) => ({
        ...g,
        reason: `${g.reason} ${XSS_OUTPUT}`,
        evidence: {
          ...g.evidence,
          outputTail: `${XSS_LOG}\n${XSS_OUTPUT}`,
          '<img src=x onerror=alert(5)>': XSS_OUTPUT,
          approvers: [{ approver: XSS_BRANCH, at: new Date().toISOString(), comment: XSS_LOG }],
        },
      })),
    };
    await wv.send(notification('pipeline/state', { ...base, promotions: [hostile, ...rest] }));
    await page.getByText(XSS_BRANCH).first().waitFor();
    await page.getByRole('button', { name: 'Show evidence of syntax' }).click();
    const ev = page.getByRole('region', { name: 'Evidence of syntax' });
    assert.equal(await ev.locator('pre[aria-label="Output of syntax"]').textContent(), `${XSS_LOG}\n${XSS_OUTPUT}`);
    await ev.getByText('<img src=x onerror=alert(5)>').waitFor();
    await ev.getByText(XSS_BRANCH).waitFor();
    await wv.send(
      notification('gates/progress', {
        gate: { ...hostile.gates[0], name: '<script>window.__pwned=6</script>', state: 'fail' },
      }),
    );
    await page.getByRole('listitem', { name: 'Gate <script>window.__pwned=6</script>: Failed' }).waitFor();
    await assertInert(wv);
  });

  it('drift: hostile resource names, paths and values are shown as text', async () => {
    wv = await suite.open('drift');
    const { page } = wv;
    const base = drift({ branch: XSS_BRANCH });
    await wv.send(
      notification('drift/state', {
        ...base,
        resources: [
          {
            ...base.resources[0],
            name: '<img src=x onerror=alert(7)>',
            urn: '"><img src=x onerror=alert(8)>',
            properties: [{ path: XSS_LOG, declared: XSS_OUTPUT, actual: `${XSS_OUTPUT}!` }],
          },
        ],
      }),
    );
    const table = page.getByRole('table', { name: 'Differences of <img src=x onerror=alert(7)>' });
    await table.getByText(XSS_LOG).waitFor();
    assert.deepEqual(await table.getByRole('cell').allTextContents(), [XSS_OUTPUT, `${XSS_OUTPUT}!`]);
    await wv.take();
    await page.getByRole('button', { name: 'Reapply <img src=x onerror=alert(7)>' }).click();
    assert.deepEqual(
      (await wv.take()).map((m) => m.params),
      [{ resource: '"><img src=x onerror=alert(8)>' }],
    );
    await assertInert(wv);
  });

  it('ignores messages that are not the protocol', async () => {
    wv = await suite.open('drift');
    const { page } = wv;
    await wv.page.evaluate(`(() => {
      window.postMessage('drift/state', '*');
      window.postMessage({ type: 'notification', method: 'eval', params: { code: 'window.__pwned = 9' } }, '*');
      window.postMessage({ type: 'notification', method: 'drift/state', params: null }, '*');
      window.postMessage({ type: 'response', id: 1 }, '*');
    })()`);
    await page.getByText('Waiting for the drift check…').waitFor();
    await wv.send(notification('drift/state', drift()));
    await page.getByRole('table', { name: 'Differences of web' }).waitFor();
    await assertInert(wv);
  });

  it('bundles are under 300 KB each, the build reports their sizes, and the codicons are beside them', async () => {
    const { outdir, bundles, log } = await buildOnce();
    assert.deepEqual(
      bundles.map((b) => b.app),
      ['dashboard', 'pipeline', 'drift'],
    );
    for (const b of bundles) {
      assert.ok(b.bytes > 10_000 && b.bytes < 300 * 1024, `${b.app}.js is ${b.bytes} bytes`);
      assert.equal(statSync(b.file).size, b.bytes);
      assert.ok(
        log.some((l) => l.includes(`${b.app}.js`) && l.includes(`${(b.bytes / 1024).toFixed(1)} KB`)),
        log.join('\n'),
      );
    }
    for (const f of ['codicon.css', 'codicon.ttf']) assert.ok(existsSync(join(outdir, f)), f);
  });
});
