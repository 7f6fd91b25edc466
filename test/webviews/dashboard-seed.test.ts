/** The dashboard's seeded databases in real headless Chromium: source host, policy, rows, when and snapshot of each, and Re-seed. */
import assert from 'node:assert/strict';
import { notification, type DatabaseSeedView } from '../../webviews/protocol';
import { environment, XSS_LOG } from './fixtures';
import { webviewSuite, type WebviewPage } from './harness';

// `at` is set when the test runs (mocha loads every file long before), so the view says "12 min ago".
const SEEDED_AT_MS = 12 * 60_000;
const BASE: DatabaseSeedView = {
  name: 'db',
  source: '127.0.0.1:5433/shop_prod',
  policy: 'masking.yaml',
  policyHash: '9f2c4e1a7b3d'.padEnd(64, '0'),
  snapshot: 'snap_41c9e07a5b2d8f13',
  rows: 48213,
  tables: 5,
  at: '',
  durationMs: 3400,
  schedule: '0 3 * * *',
  inSpec: true,
};

describe('webviews: dashboard seeded databases (Chromium)', function () {
  this.timeout(60_000);
  const suite = webviewSuite({ checkPage: true });
  let wv: WebviewPage | undefined;

  it('shows each seeded database and posts env/reseed from its Re-seed button', async () => {
    const SEEDED: DatabaseSeedView = { ...BASE, at: new Date(Date.now() - SEEDED_AT_MS).toISOString() };
    wv = await suite.open('dashboard');
    const { page } = wv;
    const audit: DatabaseSeedView = {
      ...SEEDED,
      name: 'audit',
      source: XSS_LOG,
      policy: 'audit.masking.yaml',
      snapshot: undefined,
      schedule: undefined,
      rows: 1,
      tables: 1,
      inSpec: false,
    };
    await wv.send(notification('env/state', environment({ databases: [SEEDED, audit] })));
    const table = page.getByRole('table', { name: 'Seeded databases' });
    const row = table.getByRole('row').filter({ hasText: 'snap_41c9e07a5b2d8f13' });
    for (const text of [
      '127.0.0.1:5433/shop_prod',
      'masking.yaml',
      '9f2c4e1a7b3d',
      '48,213 rows',
      '12 min ago',
      '0 3 * * *',
    ])
      await row.getByText(text).first().waitFor();
    // A value from a record is text, never markup.
    await table.getByText(XSS_LOG).waitFor();
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
    await table.getByText('masked anew').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Re-seed audit' }).isDisabled(), 'the spec no longer seeds audit');
    await wv.take();
    await page.getByRole('button', { name: 'Re-seed db' }).click();
    await page.getByRole('button', { name: 'Re-seed audit' }).click({ force: true });
    assert.deepEqual(
      (await wv.take()).map((m) => [m.method, m.params]),
      [['env/reseed', { database: 'db' }]],
    );
    await wv.send(notification('env/patch', { set: { databases: [SEEDED] } }));
    await page.getByRole('button', { name: 'Re-seed audit' }).waitFor({ state: 'detached' });
    await wv.settled();
    await wv.screenshot('dashboard-seeded-database.png');
    // No seeded database: no section.
    await wv.send(notification('env/patch', { unset: ['databases'] }));
    await page.getByRole('table', { name: 'Seeded databases' }).waitFor({ state: 'detached' });
  });
});
