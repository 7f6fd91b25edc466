/**
 * The environment dashboard in real headless Chromium: what it shows for an environment, what
 * it posts back for each button, the logs request, keyboard use, and UI state over a reload.
 */
import assert from 'node:assert/strict';
import { notification } from '../../webviews/protocol';
import { environment } from './fixtures';
import { expectScreenshot } from './baseline';
import { webviewSuite, type WebviewPage } from './harness';

describe('webviews: environment dashboard (Chromium)', function () {
  this.timeout(60_000);
  const suite = webviewSuite({ checkPage: true });
  let wv: WebviewPage | undefined;

  it('says ready first, waits for data, then shows every service with its state, health, URL, ports, image and use', async () => {
    wv = await suite.open('dashboard');
    const { page } = wv;
    assert.deepEqual(await wv.posted(), [
      { type: 'command', method: 'webview/ready', params: { app: 'dashboard', version: 1 } },
    ]);
    await page.getByText('Waiting for the environment…').waitFor();
    assert.equal(await page.locator('#app').getAttribute('aria-busy'), 'true');

    await wv.send(notification('env/state', environment()));
    await page.getByRole('heading', { level: 1, name: 'feature/checkout' }).waitFor();
    assert.equal(await page.locator('#app').getAttribute('aria-busy'), 'false');
    await page.getByRole('status', { name: 'Environment status: Running' }).waitFor();
    const table = page.getByRole('table', { name: 'Services' });
    const web = table.getByRole('row').filter({ hasText: 'web' }).first();
    for (const text of ['running', 'healthy', '127.0.0.1:49213', '49213→8080', 'sha256:3f1c9b7a2e4d'])
      await web.getByText(text).filter({ visible: true }).first().waitFor();
    assert.equal(
      await page.getByRole('meter', { name: 'CPU of web' }).getAttribute('aria-valuetext'),
      '0.12 / 0.5 CPU (24%)',
    );
    assert.equal(
      await page.getByRole('meter', { name: 'Memory of db' }).getAttribute('aria-valuetext'),
      '212 MiB / 256 MiB (83%)',
    );
    assert.match((await page.getByRole('group', { name: 'Time to live' }).textContent()) ?? '', /5 h 4[12] min left/);
    assert.match((await page.getByRole('group', { name: 'Services' }).textContent()) ?? '', /2 of 2 up/);
    await page.getByRole('group', { name: 'Created' }).getByText('2 h 5 min ago').waitFor();
    assert.equal(await page.locator('[role=meter]').count(), 4);
  });

  it('posts the command of each button, and nothing for a disabled one', async () => {
    wv = await suite.open('dashboard');
    const { page } = wv;
    await wv.send(notification('env/state', environment()));
    await wv.take();
    const toolbar = page.getByRole('toolbar', { name: 'Environment actions' });
    for (const name of ['Open', 'Share', 'Restart all services', 'Promote to staging', 'Tear Down'])
      await toolbar.getByRole('button', { name }).click();
    await page.getByRole('button', { name: 'Extend time to live' }).click();
    await page.getByRole('button', { name: 'Restart db' }).click();
    await page.getByRole('link', { name: '127.0.0.1:49213' }).click();
    assert.deepEqual(
      (await wv.take()).map((m) => [m.method, m.params]),
      [
        ['env/open', {}],
        ['env/share', {}],
        ['env/restart', {}],
        ['env/promote', {}],
        ['env/teardown', {}],
        ['env/extendTtl', {}],
        ['env/restart', { service: 'db' }],
        ['env/open', { service: 'web' }],
      ],
    );
    assert.equal(page.url(), 'https://webview.slipway.test/index.html', 'the link did not navigate');

    // Provisioning: no restart or promote; an environment without URLs: no Open.
    const busy = environment({
      status: 'provisioning',
      services: environment().services.map((s) => ({ ...s, url: undefined })),
    });
    await wv.send(notification('env/state', busy));
    await page.getByRole('status', { name: 'Environment status: Provisioning' }).waitFor();
    for (const name of ['Open', 'Restart all services', 'Promote to staging', 'Restart web']) {
      const b = page.getByRole('button', { name, exact: true });
      assert.equal(await b.getAttribute('aria-disabled'), 'true', name);
      await b.click({ force: true });
    }
    assert.deepEqual(await wv.take(), []);
  });

  it('shows recent log lines per service, and more through the env/logs request', async () => {
    wv = await suite.open('dashboard');
    const { page } = wv;
    await wv.send(notification('env/state', environment()));
    const toggle = page.getByRole('button', { name: 'web: show log lines' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    const logs = page.getByRole('region', { name: 'Recent log lines of web' });
    await logs.getByText('GET /api/products 200 42.9ms').waitFor();
    assert.equal(await page.getByRole('button', { name: 'web: hide log lines' }).getAttribute('aria-expanded'), 'true');
    await wv.take();

    await logs.getByRole('button', { name: 'Show more log lines of web' }).click();
    const [req] = await wv.take();
    assert.equal(req.type, 'request');
    assert.equal(req.method, 'env/logs');
    assert.deepEqual(req.params, { service: 'web', lines: 500 });
    assert.equal(typeof req.id, 'number');
    await wv.send({ type: 'response', id: 999, result: { lines: ['not mine'] } });
    await wv.send({
      type: 'response',
      id: req.id!,
      result: { lines: ['older line 1', 'older line 2', 'newest line'] },
    });
    await logs.getByText('newest line').waitFor();
    await logs.getByText('3 lines').waitFor();
    assert.equal(await logs.getByText('not mine').count(), 0);

    await logs.getByRole('button', { name: 'Show more log lines of web' }).click();
    const [again] = await wv.take();
    await wv.send({
      type: 'response',
      id: again.id!,
      error: { message: 'The container web is gone.', reason: 'not-found' },
    });
    await logs.getByRole('alert').getByText('The container web is gone.').waitFor();
  });

  it('is usable from the keyboard: Tab reaches every action, Enter and Space activate', async () => {
    wv = await suite.open('dashboard');
    const { page } = wv;
    await wv.send(notification('env/state', environment()));
    await page.getByRole('heading', { level: 1 }).waitFor();
    await wv.take();
    const seen: string[] = [];
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      seen.push(
        await page.evaluate(
          '(document.activeElement?.getAttribute("aria-label") || document.activeElement?.textContent || "").trim()',
        ),
      );
    }
    for (const name of [
      'Open',
      'Share',
      'Restart all services',
      'Promote to staging',
      'Tear Down',
      'Extend time to live',
      'web: show log lines',
      'Restart web',
      'db: show log lines',
      'Restart db',
    ]) {
      assert.ok(seen.includes(name), `Tab never reached ${name}: ${JSON.stringify(seen)}`);
    }
    // Tab order follows the page: the toolbar first.
    assert.ok(
      seen.indexOf('Open') < seen.indexOf('Tear Down') &&
        seen.indexOf('Tear Down') < seen.indexOf('web: show log lines'),
    );

    await page.getByRole('button', { name: 'Share' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Restart db' }).focus();
    await page.keyboard.press(' ');
    await page.getByRole('button', { name: 'db: show log lines' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Recent log lines of db' }).waitFor();
    assert.deepEqual(
      (await wv.take()).map((m) => [m.method, m.params]),
      [
        ['env/share', {}],
        ['env/restart', { service: 'db' }],
      ],
    );
  });

  it('keeps only UI state, and after a reload says ready again and restores it with the new data', async () => {
    wv = await suite.open('dashboard');
    const { page } = wv;
    await wv.send(notification('env/state', environment()));
    await page.getByRole('button', { name: 'db: show log lines' }).click();
    assert.deepEqual(await page.evaluate('JSON.parse(sessionStorage.getItem("slipway-webview-state"))'), {
      expanded: ['db'],
    });

    await wv.reload();
    assert.deepEqual(await wv.posted(), [
      { type: 'command', method: 'webview/ready', params: { app: 'dashboard', version: 1 } },
    ]);
    await page.getByText('Waiting for the environment…').waitFor();
    await wv.send(notification('env/state', environment({ branch: 'feature/checkout-v2' })));
    await page.getByRole('heading', { level: 1, name: 'feature/checkout-v2' }).waitFor();
    await page
      .getByRole('region', { name: 'Recent log lines of db' })
      .getByText('ready to accept connections')
      .waitFor();
    assert.equal(await page.getByRole('region', { name: 'Recent log lines of web' }).count(), 0);
  });

  it('applies env/patch: only the changed fields move, open rows and fetched lines stay', async () => {
    wv = await suite.open('dashboard');
    const { page } = wv;
    // A patch before any state has nothing to apply to.
    await wv.send(notification('env/patch', { set: { status: 'failed' } }));
    await wv.send(notification('env/state', environment()));
    await page.getByRole('status', { name: 'Environment status: Running' }).waitFor();
    await page.getByRole('button', { name: 'web: show log lines' }).click();
    const logs = page.getByRole('region', { name: 'Recent log lines of web' });
    await logs.getByText('GET /api/products 200 42.9ms').waitFor();

    await wv.send(
      notification('env/patch', {
        set: { status: 'degraded' },
        services: [{ name: 'db', set: { health: 'unhealthy', cpu: { used: 0.25, quota: 0.5 } } }],
      }),
    );
    await page.getByRole('status', { name: 'Environment status: Degraded' }).waitFor();
    const db = page.getByRole('table', { name: 'Services' }).getByRole('row').filter({ hasText: 'db' }).first();
    await db.getByText('unhealthy').filter({ visible: true }).first().waitFor();
    assert.equal(
      await page.getByRole('meter', { name: 'CPU of db' }).getAttribute('aria-valuetext'),
      '0.25 / 0.5 CPU (50%)',
    );
    assert.match((await page.getByRole('group', { name: 'Services' }).textContent()) ?? '', /1 of 2 up/);
    await logs.getByText('GET /api/products 200 42.9ms').waitFor();

    // A service that goes away takes its row with it; a new one arrives whole.
    await wv.send(
      notification('env/patch', {
        order: ['api', 'web'],
        services: [{ name: 'api', set: { state: 'running', health: 'starting', ports: [], image: 'sha256:cc' } }],
      }),
    );
    await page.getByRole('button', { name: 'api: show log lines' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'db: show log lines' }).count(), 0);
    assert.deepEqual(
      (await wv.take()).filter((m) => m.method !== 'webview/ready'),
      [],
      'a patch asks nothing of the host',
    );
  });

  it('asks for log lines only when a service is opened and its state carries none', async () => {
    wv = await suite.open('dashboard');
    const { page } = wv;
    const bare = environment({ services: environment().services.map(({ logs: _logs, ...s }) => s) });
    await wv.send(notification('env/state', bare));
    await page.getByRole('heading', { level: 1 }).waitFor();
    await wv.take();
    assert.deepEqual(await wv.take(), [], 'nothing is asked before a row is opened');
    await page.getByRole('button', { name: 'db: show log lines' }).click();
    const region = page.getByRole('region', { name: 'Recent log lines of db' });
    await region.getByText('Loading log lines…').waitFor();
    const [req] = await wv.take();
    assert.deepEqual([req.type, req.method, req.params], ['request', 'env/logs', { service: 'db', lines: 20 }]);
    await wv.send({ type: 'response', id: req.id!, result: { lines: ['db ready'] } });
    await region.getByText('db ready').waitFor();
    await region.getByText('1 line').waitFor();
    // Closed and opened again: the lines are there, nothing is asked again.
    await page.getByRole('button', { name: 'db: hide log lines' }).click();
    await page.getByRole('button', { name: 'db: show log lines' }).click();
    await region.getByText('db ready').waitFor();
    assert.deepEqual(await wv.take(), []);
  });

  it('explains an environment that is absent, and a failed operation', async () => {
    wv = await suite.open('dashboard');
    const { page } = wv;
    await wv.send(notification('env/state', environment({ status: 'absent', services: [], expiresAt: undefined })));
    await page.getByText('This environment does not exist').waitFor();
    for (const name of ['Share', 'Restart all services', 'Tear Down'])
      assert.equal(await page.getByRole('button', { name }).getAttribute('aria-disabled'), 'true');

    await wv.send(
      notification(
        'env/state',
        environment({
          status: 'failed',
          lastOperation: {
            op: 'up',
            status: 'failed',
            at: new Date().toISOString(),
            error: 'web never became healthy',
          },
        }),
      ),
    );
    await page.getByRole('alert').getByText('web never became healthy').waitFor();
    await page.getByRole('status', { name: 'Environment status: Failed' }).waitFor();
  });

  it('fits the services table in the widths a panel gets (full editor, split editor): no sideways scroll, every row action in view', async () => {
    // 1000: an editor beside the side bar in a 1400 px window; 700 and 520: split editors.
    for (const width of [1000, 700, 520]) {
      wv = await suite.open('dashboard', { viewport: { width, height: 760 } });
      const { page } = wv;
      await wv.send(notification('env/state', environment()));
      const table = page.getByRole('table', { name: 'Services' });
      await table.waitFor();
      const wrap = await page
        .locator('.table-wrap')
        .evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      assert.ok(
        wrap.scroll <= wrap.client,
        `at ${width} px the services table is ${wrap.scroll} px wide in a ${wrap.client} px box`,
      );
      for (const name of ['Restart web', 'Restart db']) {
        const box = await page.getByRole('button', { name }).boundingBox();
        assert.ok(
          box && box.x + box.width <= width,
          `at ${width} px "${name}" is outside the panel (${JSON.stringify(box)})`,
        );
      }
      // Health shows once per row at every width (its column, or under the state when narrowest).
      assert.equal(
        await table
          .getByRole('row')
          .filter({ hasText: 'web' })
          .first()
          .getByText('healthy')
          .filter({ visible: true })
          .count(),
        1,
        `at ${width} px`,
      );
      const headers = (await table.getByRole('columnheader').allTextContents()).map((t) => t.trim()).filter(Boolean);
      if (width >= 1000) {
        assert.deepEqual(headers, ['Service', 'State', 'Health', 'URL', 'Ports', 'Image', 'CPU and memory', 'Actions']);
        // Wide: ports and image stay in their columns, not also in the expanded row.
        await page.getByRole('button', { name: 'web: show log lines' }).click();
        assert.equal(
          await page.getByRole('region', { name: 'Recent log lines of web' }).locator('dl').isVisible(),
          false,
        );
      } else {
        // Narrow: ports and image are in the service's expanded row instead, nothing is lost;
        // narrower still, health stands under the state.
        assert.deepEqual(headers, [
          'Service',
          'State',
          ...(width > 600 ? ['Health'] : []),
          'URL',
          'CPU and memory',
          'Actions',
        ]);
        if (width <= 600)
          await table
            .getByRole('row')
            .filter({ hasText: 'web' })
            .first()
            .getByText('healthy')
            .filter({ visible: true })
            .waitFor();
        await page.getByRole('button', { name: 'web: show log lines' }).click();
        const details = page.getByRole('region', { name: 'Recent log lines of web' }).locator('dl');
        for (const text of ['49213→8080', 'sha256:3f1c9b7a2e4d']) await details.getByText(text).waitFor();
        if (width === 520) await expectScreenshot(page, 'webview-dashboard-narrow.png');
      }
      assert.equal(
        await page.getByRole('meter', { name: 'CPU of web' }).getAttribute('aria-valuetext'),
        '0.12 / 0.5 CPU (24%)',
      );
      if (width !== 520) {
        assert.deepEqual([await wv.cspViolations(), wv.errors, wv.blocked], [[], [], []], `at ${width} px`);
        await wv.close();
        wv = undefined;
      }
    }
  });

  for (const theme of ['dark', 'light', 'high-contrast'] as const) {
    it(`screenshot: ${theme} theme`, async () => {
      wv = await suite.open('dashboard', { theme });
      const { page } = wv;
      await wv.send(notification('env/state', environment()));
      await page.getByRole('button', { name: 'web: show log lines' }).click();
      await page.mouse.move(0, 0);
      await page.locator('body').click({ position: { x: 2, y: 2 } });
      await expectScreenshot(page, `webview-dashboard-${theme}.png`);
    });
  }
});
