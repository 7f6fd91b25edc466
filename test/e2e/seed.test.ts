/**
 * Masked seeding in a real VS Code (code-server) driven through Chromium, on the real Docker
 * Engine, Pulumi and a real PostgreSQL source: the dashboard's "Seeded databases" section shows
 * where the preview's database came from (source host, policy, rows, snapshot) and never a
 * password; its Re-seed button clears the database and fills it again under a progress
 * notification; and when a column added to the source fails the masking check, the column shows
 * in the Problems panel against the policy file and the preview's database is left as it was.
 * Fails (never skips) without the toolchain or the engines.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN, forceDown, git, removeSnapshots, requireEngines, runCli } from '../integration/helpers';
import { POLICY, seededSpec, seedSource } from '../integration/masking-source';
import { query, startPostgres, withClient, type PostgresServer } from '../integration/postgres';
import { editorToolchain, runCommand, screenshot, type CodeServer, type Workbench } from './harness';
import { envRow, notification, openEditor, webviewFrame } from './workbench';

const PROJECT = `seed-e2e-${RUN}`;
const BRANCH = `e2e/seed-${RUN}`;
const CUSTOMERS = 40;
const SOURCE_PASSWORD = `src-${RUN}-${Math.random().toString(36).slice(2, 14)}`;

/** Whether the preview's database holds the marker table a test made in it. */
async function hasMarker(url: string): Promise<boolean> {
  const rows = await query<{ n: string }>(url, `SELECT count(*) AS n FROM pg_tables WHERE tablename = 'e2e_marker'`);
  return Number(rows[0].n) === 1;
}

describe('VS Code extension end to end: masked seed in the dashboard and Problems (code-server)', function () {
  this.timeout(15 * 60 * 1000);

  let scratch: string;
  let home: string;
  let folder: string;
  let source: string;
  let sourceWithPassword: string;
  let previewUrl: string;
  let pgServer: PostgresServer | undefined;
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  before(async function () {
    editorToolchain(); // names what is missing and how to get it
    await requireEngines();
    pgServer = await startPostgres();
    source = await pgServer.createDatabase('source');
    // The source as a team names it: a reader with a password in the URL (the password must reach no view).
    await query(source, `CREATE ROLE seed_reader LOGIN SUPERUSER PASSWORD '${SOURCE_PASSWORD}'`);
    const u = new URL(source);
    u.username = 'seed_reader';
    u.password = SOURCE_PASSWORD;
    sourceWithPassword = u.toString();
    await withClient(source, (c) => seedSource(c, CUSTOMERS));
    scratch = mkdtempSync(join(tmpdir(), 'slipway-seed-e2e-'));
    home = join(scratch, 'home');
    folder = join(scratch, 'app');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'slipway.yaml'), seededSpec(PROJECT));
    writeFileSync(join(folder, 'masking.yaml'), POLICY);
    git(['init', '-q', '-b', 'main'], folder);
    git(['add', '.'], folder);
    git(['-c', 'user.email=e2e@slipway.test', '-c', 'user.name=e2e', 'commit', '-qm', 'app'], folder);
    git(['checkout', '-qb', BRANCH], folder);
    const up = await runCli(['up', '--spec', join(folder, 'slipway.yaml'), '--branch', BRANCH], home, undefined, {
      SEED_SOURCE_URL: sourceWithPassword,
    });
    assert.equal(up.code, 0, `slipway up of ${BRANCH} failed:\n${up.stderr}`);
    const url = await runCli(
      ['url', '--spec', join(folder, 'slipway.yaml'), '--branch', BRANCH, '--database', 'db', '--show-secrets'],
      home,
    );
    assert.equal(url.code, 0, url.stderr);
    previewUrl = url.stdout.trim();
    // The editor's extension host reads the source's variable as the CLI did.
    ({ server, workbench } = await openEditor(scratch, folder, home, { SEED_SOURCE_URL: sourceWithPassword }));
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && workbench) await screenshot(workbench.page, 'seed-failed');
  });

  after(async function () {
    await workbench?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (this.currentTest?.state === 'failed' && server)
      console.error(`--- code-server output ---\n${server.logs().slice(-8000)}`);
    if (folder) await forceDown(join(folder, 'slipway.yaml'), BRANCH, home).catch(() => undefined);
    await removeSnapshots(PROJECT);
    await pgServer?.stop().catch(() => undefined);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("shows the database's seed without secrets and re-seeds it from the dashboard", async function () {
    const { page } = workbench!;
    await page.locator('.activitybar .action-item a[aria-label^="Slipway"]').click({ timeout: 60_000 });
    await envRow(page, `${BRANCH}, running`).waitFor({ state: 'visible', timeout: 120_000 });

    await runCommand(page, 'Slipway: Open Environment Dashboard');
    const dashboard = await webviewFrame(page, 'dashboard');
    const row = dashboard.locator('table[aria-label="Seeded databases"] tr.row', { hasText: 'db' });
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    const text = (await row.textContent())?.replace(/\s+/g, ' ') ?? '';
    assert.match(text, new RegExp(`127\\.0\\.0\\.1:${pgServer!.port}/source`), `the row names no source host: ${text}`);
    assert.match(text, /masking\.yaml/);
    assert.match(text, /sha256 [0-9a-f]{12}/);
    assert.match(text, /[\d,]+ rows in 5 tables/);
    assert.match(text, /snap_[0-9a-f]{16}/, `the row names no snapshot: ${text}`);
    const html = await dashboard.locator('body').innerHTML();
    const password = new URL(previewUrl).password;
    assert.ok(password.length >= 16);
    assert.ok(!html.includes(password), "the preview database's password reached the webview");
    assert.ok(!html.includes(SOURCE_PASSWORD), "the source's password reached the webview");
    await screenshot(page, 'seed-dashboard');

    // Re-seed clears the database (the marker goes) and fills it again.
    await query(previewUrl, 'CREATE TABLE public.e2e_marker (x int)');
    await dashboard.getByRole('button', { name: 'Re-seed db' }).click();
    const done = notification(page, /db of .* re-seeded: [\d,]+ rows in 5 tables from 127\.0\.0\.1:\d+\/source/);
    await done.waitFor({ state: 'visible', timeout: 300_000 });
    assert.equal(await hasMarker(previewUrl), false, 'Re-seed left the table made after the seed');
    const customers = await query<{ n: string }>(previewUrl, 'SELECT count(*) AS n FROM crm.customers');
    assert.equal(Number(customers[0].n), CUSTOMERS);
    await screenshot(page, 'seed-reseeded');
  });

  it('a column added to the source fails the check: it shows in Problems against masking.yaml, and the database is untouched', async function () {
    const { page } = workbench!;
    await query(source, 'ALTER TABLE crm.customers ADD COLUMN contact_note text');
    await query(source, 'UPDATE crm.customers SET contact_note = email');
    await query(previewUrl, 'CREATE TABLE public.e2e_marker (x int)');

    const dashboard = await webviewFrame(page, 'dashboard');
    await dashboard.getByRole('button', { name: 'Re-seed db' }).click();
    const failed = notification(page, /crm\.customers\.contact_note/);
    await failed.waitFor({ state: 'visible', timeout: 300_000 });
    await screenshot(page, 'seed-check-failed');
    await failed.locator('.monaco-button', { hasText: 'Show Problems' }).click({ timeout: 10_000 });
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'contact_note' }).first();
    await problem.waitFor({ state: 'visible', timeout: 60_000 });
    const file = page.locator('.markers-panel .monaco-list-row', { hasText: 'masking.yaml' }).first();
    await file.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await problem.textContent()) ?? '', /\[Ln \d+, Col \d+\]/, 'the problem has no position');
    await screenshot(page, 'seed-problems');
    assert.equal(await hasMarker(previewUrl), true, 'a failed check changed the preview database');
  });
});
