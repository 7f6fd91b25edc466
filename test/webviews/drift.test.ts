/**
 * The drift view in real headless Chromium: declared beside actual with the change marked,
 * the check time, Reapply and Accept per resource and for all, the filter, and the empty states.
 */
import assert from 'node:assert/strict';
import { notification } from '../../webviews/protocol';
import { drift } from './fixtures';
import { expectScreenshot } from './baseline';
import { webviewSuite, type WebviewPage } from './harness';

const WEB = 'urn:pulumi:feature-checkout-7c2e1a::slipway-shop::slipway:docker:Container::web';
const DB = 'urn:pulumi:feature-checkout-7c2e1a::slipway-shop::slipway:docker:Container::db';

describe('webviews: drift (Chromium)', function () {
  this.timeout(60_000);
  const suite = webviewSuite({ checkPage: true });
  let wv: WebviewPage | undefined;

  it('shows each resource with declared and actual side by side, the change marked, and the check time', async () => {
    wv = await suite.open('drift');
    const { page } = wv;
    assert.deepEqual(
      (await wv.posted()).map((m) => m.params),
      [{ app: 'drift', version: 1 }],
    );
    await wv.send(notification('drift/state', drift()));
    await page.getByRole('status', { name: 'Drift: 2 resources drifted' }).waitFor();
    await page.getByText('checked 2 min ago').waitFor();
    const web = page.getByRole('table', { name: 'Differences of web' });
    assert.deepEqual(
      await web
        .getByRole('columnheader')
        .allTextContents()
        .then((t) => t.map((s) => s.trim())),
      ['Property', 'Declared', 'Actual'],
    );
    const row = web.getByRole('row', { name: /env\.GREETING/ });
    assert.deepEqual(await row.getByRole('cell').allTextContents(), ['Hello from Slipway', 'Hello from a hotfix']);
    assert.equal(await row.locator('mark.declared').textContent(), 'Slipway');
    assert.equal(await row.locator('mark.actual').textContent(), 'a hotfix');
    const image = page.getByRole('table', { name: 'Differences of db' }).getByRole('row', { name: /image/ });
    assert.equal(await image.locator('mark.declared').textContent(), '6');
    assert.equal(await image.locator('mark.actual').textContent(), '5');
    await page.getByText('changed outside Slipway').waitFor();
    await page.getByText('spec changed').waitFor();
    await page.getByText('3 differences').waitFor();
  });

  it('posts Reapply and Accept per resource and for all, check, and nothing for what does not apply', async () => {
    wv = await suite.open('drift');
    const { page } = wv;
    await wv.send(notification('drift/state', drift()));
    await page.getByRole('table', { name: 'Differences of web' }).waitFor();
    await wv.take();
    await page.getByRole('button', { name: 'Reapply web' }).click();
    await page.getByRole('button', { name: 'Accept web' }).click();
    await page.getByRole('button', { name: 'Reapply db' }).click();
    assert.equal(
      await page.getByRole('button', { name: 'Accept db' }).getAttribute('aria-disabled'),
      'true',
      'a spec change cannot be accepted',
    );
    await page.getByRole('button', { name: 'Accept db' }).click({ force: true });
    await page.getByRole('button', { name: 'Reapply all' }).click();
    await page.getByRole('button', { name: 'Accept all' }).click();
    await page.getByRole('button', { name: 'Check now' }).click();
    assert.deepEqual(
      (await wv.take()).map((m) => [m.method, m.params]),
      [
        ['drift/reapply', { resource: WEB }],
        ['drift/accept', { resource: WEB }],
        ['drift/reapply', { resource: DB }],
        ['drift/reapply', {}],
        ['drift/accept', {}],
        ['drift/check', {}],
      ],
    );

    await wv.send(notification('drift/state', drift({ busy: true })));
    await page.getByRole('button', { name: 'Checking…' }).waitFor();
    await page.getByRole('progressbar').waitFor();
    for (const name of ['Reapply web', 'Accept web', 'Reapply all', 'Accept all', 'Checking…']) {
      assert.equal(await page.getByRole('button', { name }).getAttribute('aria-disabled'), 'true', name);
    }
  });

  it('filters by source with tabs (arrow keys too), folds resources, and keeps both over a reload', async () => {
    wv = await suite.open('drift');
    const { page } = wv;
    await wv.send(notification('drift/state', drift()));
    const tabs = page.getByRole('tablist', { name: 'Filter by source' });
    assert.equal(await tabs.getByRole('tab').count(), 3);
    for (const name of ['All 2', 'Outside Slipway 1', 'Spec 1'])
      await tabs.getByRole('tab', { name, exact: true }).waitFor();
    await tabs.getByRole('tab', { name: /Spec/ }).click();
    assert.equal(await page.getByRole('table', { name: 'Differences of web' }).count(), 0);
    await page.getByRole('table', { name: 'Differences of db' }).waitFor();
    assert.equal(await page.getByRole('tabpanel').getAttribute('aria-labelledby'), 'tab-resources-spec');

    // Keyboard: the selected tab is the one in the Tab order; arrows move the selection.
    await page.getByRole('tab', { name: /Spec/ }).focus();
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('tab', { name: /Outside Slipway/, selected: true }).waitFor();
    assert.equal(await page.evaluate('document.activeElement?.getAttribute("aria-selected")'), 'true');
    assert.equal(await page.getByRole('tab', { name: /All/ }).getAttribute('tabindex'), '-1');
    await page.getByRole('table', { name: 'Differences of web' }).waitFor();

    await page.getByRole('button', { name: 'web', exact: true }).press('Enter');
    assert.equal(await page.getByRole('table', { name: 'Differences of web' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'web', exact: true }).getAttribute('aria-expanded'), 'false');

    await wv.reload();
    await wv.send(notification('drift/state', drift()));
    await page.getByRole('tab', { name: /Outside Slipway/, selected: true }).waitFor();
    await page.getByRole('article', { name: 'container web' }).waitFor();
    assert.equal(await page.getByRole('table', { name: 'Differences of web' }).count(), 0, 'still folded');
  });

  it('shows "No drift" with the check time, and offers a check when never checked', async () => {
    wv = await suite.open('drift');
    const { page } = wv;
    await wv.send(notification('drift/state', drift({ resources: [] })));
    await page.getByText('No drift', { exact: true }).first().waitFor();
    await page.getByText('What runs matches what was declared. Checked 2 min ago.').waitFor();
    for (const name of ['Reapply all', 'Accept all'])
      assert.equal(await page.getByRole('button', { name }).getAttribute('aria-disabled'), 'true');

    await wv.send(notification('drift/state', drift({ resources: [], checkedAt: undefined })));
    await page.getByText('Not checked yet').waitFor();
    await wv.take();
    await page.getByRole('status').getByRole('button', { name: 'Check now' }).click();
    assert.deepEqual(
      (await wv.take()).map((m) => m.method),
      ['drift/check'],
    );
  });

  for (const theme of ['dark', 'light', 'high-contrast'] as const) {
    it(`screenshot: ${theme} theme`, async () => {
      wv = await suite.open('drift', { theme });
      const { page } = wv;
      await wv.send(notification('drift/state', drift()));
      await page.getByRole('table', { name: 'Differences of db' }).waitFor();
      await expectScreenshot(page, `webview-drift-${theme}.png`);
      await wv.send(notification('drift/state', drift({ resources: [] })));
      await page.getByText('What runs matches what was declared.', { exact: false }).waitFor();
      await wv.screenshot(`webview-drift-empty-${theme}.png`);
    });
  }
});
