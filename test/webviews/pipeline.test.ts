/**
 * The pipeline view in real headless Chromium: the stage graph, the gates of a promotion with
 * their evidence, the buttons, live `gates/progress` updates, keyboard use and a reload.
 */
import assert from 'node:assert/strict';
import { notification, type GateView } from '../../webviews/protocol';
import { gates, pipeline } from './fixtures';
import { expectScreenshot } from './baseline';
import { webviewSuite, type WebviewPage } from './harness';

describe('webviews: pipeline (Chromium)', function () {
  this.timeout(60_000);
  const suite = webviewSuite({ checkPage: true });
  let wv: WebviewPage | undefined;

  it('shows the stages left to right and the gates of the first promotion that does not pass', async () => {
    wv = await suite.open('pipeline');
    const { page } = wv;
    assert.deepEqual(
      (await wv.posted()).map((m) => m.params),
      [{ app: 'pipeline', version: 1 }],
    );
    await wv.send(notification('pipeline/state', pipeline()));
    const stages = page.getByRole('list', { name: 'Stages in promotion order' });
    await stages.waitFor();
    const names = await stages.getByRole('heading', { level: 3 }).allTextContents();
    assert.deepEqual(names, ['preview', 'staging', 'production']);
    const boxes = await Promise.all(names.map((n) => stages.getByRole('heading', { level: 3, name: n }).boundingBox()));
    assert.ok(boxes[0]!.x < boxes[1]!.x && boxes[1]!.x < boxes[2]!.x, 'left to right');
    await stages.getByText('release 3').waitFor();

    const edge = page.getByRole('button', { name: /^Promotion preview to staging: 2 of 4 gates pass/ });
    assert.equal(await edge.getAttribute('aria-pressed'), 'true');
    assert.equal(
      await page.getByRole('button', { name: /^Promotion staging to production/ }).getAttribute('aria-pressed'),
      'false',
    );

    const list = page.getByRole('list', { name: 'Gates of staging' });
    const item = (name: string) => list.getByRole('listitem', { name: new RegExp(`^Gate ${name}: `) });
    assert.equal(await list.getByRole('listitem').count(), 4);
    assert.equal(await item('health').getAttribute('aria-label'), 'Gate health: Passed');
    assert.equal(await item('syntax').getAttribute('aria-label'), 'Gate syntax: Failed');
    assert.equal(await item('approval').getAttribute('aria-label'), 'Gate approval: Pending');
    await item('syntax').getByText('"node --check server.js" exited with 1').waitFor();
    await item('syntax').getByText('312 ms').waitFor();
    await item('syntax').getByText('ran 4 min ago').waitFor();
    await item('drift').getByText('1.8 s').waitFor();
    await page.getByText('Promotion needs every gate to pass: 1 failed, 1 pending.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Promote to staging' }).getAttribute('aria-disabled'), 'true');
    // Approve is offered for the approval gate only.
    assert.equal(await list.getByRole('button', { name: /^Approve/ }).count(), 1);
  });

  it('shows the evidence: output tail, approvers, window, other values', async () => {
    wv = await suite.open('pipeline');
    const { page } = wv;
    await wv.send(notification('pipeline/state', pipeline()));
    await page.getByRole('button', { name: 'Show evidence of syntax' }).click();
    const ev = page.getByRole('region', { name: 'Evidence of syntax' });
    await ev.getByText('SyntaxError: missing ) after argument list').waitFor();
    await ev.getByText('node --check server.js').waitFor();
    assert.equal(
      await page.getByRole('button', { name: 'Hide evidence of syntax' }).getAttribute('aria-expanded'),
      'true',
    );

    await page.getByRole('button', { name: /^Promotion staging to production/ }).click();
    await page.getByRole('heading', { level: 2, name: 'staging production' }).waitFor();
    await page.getByRole('button', { name: 'Show evidence of approval' }).click();
    const approvals = page.getByRole('region', { name: 'Evidence of approval' });
    await approvals.getByText('lead@example.com').waitFor();
    await approvals.getByText('1 of 2 required').waitFor();
    await approvals.getByText('“LGTM”').waitFor();
    await page.getByRole('button', { name: 'Show evidence of window' }).click();
    const win = page.getByRole('region', { name: 'Evidence of window' });
    await win.getByText('Tue 14:05').waitFor();
    await win.getByText('Allowed: Mon-Fri 09:00-17:00').waitFor();
    await win.getByText('matched').waitFor();
  });

  it('posts re-run, approve and promote, and enables Promote live as gates pass', async () => {
    wv = await suite.open('pipeline');
    const { page } = wv;
    await wv.send(notification('pipeline/state', pipeline()));
    await page.getByRole('list', { name: 'Gates of staging' }).waitFor();
    await wv.take();
    await page.getByRole('button', { name: 'Re-run gate syntax' }).click();
    await page.getByRole('button', { name: 'Approve promotion to staging (approval)' }).click();
    await page.getByRole('button', { name: 'Re-run all gates of staging' }).click();
    assert.deepEqual(
      (await wv.take()).map((m) => [m.method, m.params]),
      [
        ['gates/rerun', { stage: 'staging', gate: 'syntax' }],
        ['gates/approve', { stage: 'staging', gate: 'approval' }],
        ['gates/rerun', { stage: 'staging' }],
      ],
    );

    const syntax = gates().staging[2];
    const approval = gates().staging[3];
    const now = new Date().toISOString();
    const promote = page.getByRole('button', { name: 'Promote to staging' });
    const state = (name: string) =>
      page.getByRole('listitem', { name: new RegExp(`^Gate ${name}: `) }).getAttribute('aria-label');

    await wv.send(
      notification('gates/progress', {
        gate: {
          ...syntax,
          state: 'running',
          reason: 'running "node --check server.js"',
          startedAt: now,
          durationMs: undefined,
        },
      }),
    );
    await page.getByRole('listitem', { name: 'Gate syntax: Running' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Re-run gate syntax' }).getAttribute('aria-disabled'), 'true');
    assert.equal(
      await page.getByRole('button', { name: 'Re-run all gates of staging' }).getAttribute('aria-disabled'),
      'true',
    );
    await page.getByRole('status').filter({ hasText: 'Gate syntax: Running' }).waitFor();

    const passed: GateView = {
      ...syntax,
      state: 'pass',
      reason: '"node --check server.js" exited with 0',
      evidence: { command: 'node --check server.js', exitCode: 0, outputTail: '' },
      startedAt: now,
      durationMs: 280,
    };
    await wv.send(notification('gates/progress', { gate: passed }));
    await page.getByRole('listitem', { name: 'Gate syntax: Passed' }).waitFor();
    await page.getByRole('listitem', { name: 'Gate syntax: Passed' }).getByText('280 ms').waitFor();
    assert.equal(await promote.getAttribute('aria-disabled'), 'true', 'the approval is still pending');
    await page.getByRole('button', { name: /^Promotion preview to staging: 3 of 4 gates pass/ }).waitFor();

    await wv.send(
      notification('gates/progress', {
        gate: { ...approval, state: 'pass', reason: '1 of 1 approval (lead@example.com)', startedAt: now },
      }),
    );
    await page.getByText('All gates pass.').waitFor();
    assert.equal(await state('approval'), 'Gate approval: Passed');
    assert.equal(await page.getByRole('button', { name: /^Approve/ }).count(), 0);
    assert.equal(await promote.getAttribute('aria-disabled'), 'false');
    await promote.click();
    assert.deepEqual(
      (await wv.take()).map((m) => [m.method, m.params]),
      [['pipeline/promote', { to: 'staging' }]],
    );

    // A gate that goes back to running disables it again, live.
    await wv.send(notification('gates/progress', { gate: { ...passed, state: 'running' } }));
    await page.getByRole('listitem', { name: 'Gate syntax: Running' }).waitFor();
    assert.equal(await promote.getAttribute('aria-disabled'), 'true');
    // The host can refuse apart from the gates, and says why.
    const all = pipeline();
    const blocked = {
      ...all,
      promotions: all.promotions.map((p) => ({
        ...p,
        gates: p.gates.map((g) => ({ ...g, state: 'pass' as const })),
        canPromote: false,
        blockedReason: 'The preview is not running.',
      })),
    };
    await wv.send(notification('pipeline/state', blocked));
    await page.getByText('The preview is not running.').waitFor();
    assert.equal(await promote.getAttribute('aria-disabled'), 'true');
  });

  it('is usable from the keyboard, and keeps the selected promotion and open evidence over a reload', async () => {
    wv = await suite.open('pipeline');
    const { page } = wv;
    await wv.send(notification('pipeline/state', pipeline()));
    await page.getByRole('list', { name: 'Gates of staging' }).waitFor();
    const seen: string[] = [];
    for (let i = 0; i < 30 && !seen.includes('Re-run gate approval'); i++) {
      await page.keyboard.press('Tab');
      seen.push(
        await page.evaluate(
          '(document.activeElement?.getAttribute("aria-label") || document.activeElement?.textContent || "").trim().replace(/\\s+/g, " ")',
        ),
      );
    }
    for (const name of [
      'Re-run all gates of staging',
      'Re-run gate health',
      'Show evidence of syntax',
      'Approve promotion to staging (approval)',
      'Re-run gate approval',
    ]) {
      assert.ok(seen.includes(name), `Tab never reached ${name}: ${JSON.stringify(seen)}`);
    }
    assert.ok(
      seen.some((s) => s.startsWith('Promotion staging to production')),
      'Tab reaches the second promotion',
    );

    await page.getByRole('button', { name: /^Promotion staging to production/ }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('list', { name: 'Gates of production' }).waitFor();
    await page.getByRole('button', { name: 'Show evidence of approval' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Evidence of approval' }).waitFor();

    await wv.reload();
    await wv.send(notification('pipeline/state', pipeline()));
    await page.getByRole('list', { name: 'Gates of production' }).waitFor();
    await page.getByRole('region', { name: 'Evidence of approval' }).getByText('lead@example.com').waitFor();
    assert.equal(
      await page.getByRole('button', { name: /^Promotion staging to production/ }).getAttribute('aria-pressed'),
      'true',
    );
  });

  it('marks re-run gates running from one gates/running, and offers no promotion the stage already runs', async () => {
    wv = await suite.open('pipeline');
    const { page } = wv;
    const p = pipeline();
    await wv.send(notification('pipeline/state', p));
    const list = page.getByRole('list', { name: 'Gates of staging' });
    await list.waitFor();
    await wv.send(
      notification('gates/running', {
        stage: 'staging',
        gates: p.promotions[0].gates.map((g) => g.name),
        startedAt: new Date().toISOString(),
      }),
    );
    for (const g of p.promotions[0].gates)
      await list.getByRole('listitem', { name: `Gate ${g.name}: Running` }).waitFor();
    assert.equal(
      await page.getByRole('button', { name: 'Re-run all gates of staging' }).getAttribute('aria-disabled'),
      'true',
    );
    await page.getByText('Gates are being evaluated.').first().waitFor();

    // Staging runs the branch's commit already: no Promote, it says what the stage runs.
    const commit = p.commit!;
    const passing = p.promotions[0].gates.map((g) => ({ ...g, state: 'pass' as const }));
    await wv.send(
      notification('pipeline/state', {
        ...p,
        stages: p.stages.map((st) =>
          st.name === 'staging' ? { ...st, release: { number: 4, commit, at: new Date().toISOString() } } : st,
        ),
        promotions: p.promotions.map((x, i) =>
          i === 0
            ? {
                ...x,
                gates: passing,
                canPromote: false,
                current: { commit, release: 4 },
                blockedReason: 'staging already runs 4b1e9d2 (release 4).',
              }
            : x,
        ),
      }),
    );
    await page.getByText('staging runs 4b1e9d2', { exact: true }).waitFor();
    await page.getByText('staging runs this commit (4b1e9d2, release 4). Nothing to promote.').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Promote to staging' }).count(), 0);
    assert.deepEqual(
      (await wv.take()).filter((m) => m.method !== 'webview/ready'),
      [],
    );
  });

  it('says so when the spec declares no pipeline', async () => {
    wv = await suite.open('pipeline');
    await wv.send(notification('pipeline/state', pipeline({ stages: [{ name: 'preview' }], promotions: [] })));
    await wv.page.getByText('No pipeline').waitFor();
  });

  it('gives every gate state a colour of its own in the dark, light and high-contrast themes', async () => {
    for (const theme of ['dark', 'light', 'high-contrast'] as const) {
      wv = await suite.open('pipeline', { theme });
      const { page } = wv;
      await wv.send(notification('pipeline/state', pipeline()));
      await wv.send(
        notification('gates/progress', { gate: { ...gates().staging[0], state: 'running', reason: 'checking' } }),
      );
      await page.getByRole('listitem', { name: 'Gate health: Running' }).waitFor();
      // The colour of each state's pill dot: none may be missing (a theme without the variable).
      const colours: Record<string, string> = {};
      for (const [gate, state] of [
        ['health', 'Running'],
        ['drift', 'Passed'],
        ['syntax', 'Failed'],
        ['approval', 'Pending'],
      ]) {
        const pill = page
          .getByRole('listitem', { name: `Gate ${gate}: ${state}` })
          .locator('.pill', { hasText: state });
        colours[state] = await pill.evaluate(
          (el) => el.ownerDocument.defaultView!.getComputedStyle(el, '::before').backgroundColor,
        );
      }
      for (const [state, colour] of Object.entries(colours)) {
        assert.ok(
          colour && !/^rgba\(0, 0, 0, 0\)$|^transparent$/.test(colour),
          `${theme}: the ${state} pill has no colour (${colour})`,
        );
      }
      assert.equal(
        new Set(Object.values(colours)).size,
        4,
        `${theme}: two gate states share a colour: ${JSON.stringify(colours)}`,
      );
      assert.deepEqual([await wv.cspViolations(), wv.errors], [[], []], theme);
      await wv.close();
      wv = undefined;
    }
  });

  for (const theme of ['dark', 'light', 'high-contrast'] as const) {
    it(`screenshot: ${theme} theme`, async () => {
      wv = await suite.open('pipeline', { theme, viewport: { width: 1100, height: 900 } });
      const { page } = wv;
      await wv.send(notification('pipeline/state', pipeline()));
      await page.getByRole('button', { name: 'Show evidence of syntax' }).click();
      await wv.send(
        notification('gates/progress', {
          gate: { ...gates().staging[0], state: 'running', reason: 'checking the health of 2 services' },
        }),
      );
      await page.getByRole('listitem', { name: 'Gate health: Running' }).waitFor();
      await page.mouse.move(0, 0);
      await page.evaluate('document.activeElement?.blur()');
      await expectScreenshot(page, `webview-pipeline-${theme}.png`);
    });
  }
});
