/**
 * The editor's self-contained runtime on the real Docker Engine and Pulumi CLI: the bundles the
 * VSIX carries (dist/extension) are copied outside the repository, so no node_modules can be
 * found, and run by a Node process whose PATH has no `node`, as in a VS Code without Node. The
 * core's editor-facing calls (logs, restart, usage, status with HTTP health) are exercised there.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SHOP_SPEC, docker, forceDown, labelled, RUN, removeDir, requireEngines, tempHome } from './helpers';

const BRANCH = `editor-runtime-${RUN}`;

/** Runs a script with the copied bundle's core as `core`; resolves with its JSON result. */
function runWithBundle(dir: string, home: string, body: string): Promise<unknown> {
  const script = join(dir, `run-${Date.now()}.js`);
  writeFileSync(
    script,
    `const core = require('./extension/core.js');
(async () => {
  const engine = await core.LocalEnvironments.create({ home: ${JSON.stringify(home)} });
  const spec = await core.loadSpec(${JSON.stringify(SHOP_SPEC)});
  const branch = ${JSON.stringify(BRANCH)};
  ${body}
})().then((r) => { process.stdout.write(JSON.stringify(r ?? null)); }, (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`,
  );
  const emptyBin = join(dir, 'bin');
  mkdirSync(emptyBin, { recursive: true });
  return new Promise((resolve, reject) => {
    // No node on PATH, no SLIPWAY_HOME from the caller: only what the bundle brings.
    const env = { ...process.env, PATH: emptyBin, SLIPWAY_HOME: home };
    const child = spawn(process.execPath, [script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out))
        : reject(new Error(`the bundled core failed (exit ${code}):\n${err.slice(-3000)}`)),
    );
  });
}

describe('the editor runtime (dist/extension, outside the repository, no node on PATH)', function () {
  this.timeout(10 * 60 * 1000);
  let dir: string;
  let home: string;

  before(async function () {
    await requireEngines();
    const built = join(ROOT, 'dist', 'extension');
    assert.ok(
      existsSync(join(built, 'core.js')) && existsSync(join(built, 'stack-worker.js')),
      'dist/extension is not built: run `npm run build`',
    );
    dir = tempHome('editor-runtime');
    home = join(dir, 'home');
    cpSync(built, join(dir, 'extension'), { recursive: true });
  });

  after(async function () {
    if (home) await forceDown(SHOP_SPEC, BRANCH, home);
    if (dir) removeDir(dir);
  });

  it('brings the example up, reads its logs, reports usage and health, restarts a service, and goes down leaving nothing', async function () {
    const up = (await runWithBundle(
      dir,
      home,
      `const r = await engine.up(spec, branch);
  const lines = [];
  await engine.logs(spec.name, branch, 'web', { tail: 50, onLine: (l) => lines.push(l) });
  const usage = await engine.usage(spec.name, branch);
  const before = await engine.status(spec.name, branch);
  return { urls: r.urls, lines, usage, before };`,
    )) as {
      urls: Record<string, string>;
      lines: string[];
      usage: Array<{ service: string; cpu: number; cpuLimit?: number; memory: number; memoryLimit?: number }>;
      before: { status: string; services: Array<{ service: string; health: string; containerId: string }> };
    };
    assert.match(up.urls.web, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(
      up.lines.some((l) => l.includes('listening on')),
      `the web log has no "listening on" line: ${up.lines.join(' | ')}`,
    );
    const web = up.usage.find((u) => u.service === 'web');
    assert.ok(web, 'no usage for web');
    assert.equal(web.cpuLimit, 0.5, 'the spec gives web half a CPU');
    assert.equal(web.memoryLimit, 256 * 1024 * 1024, 'the spec gives web 256 MiB');
    assert.ok(
      web.memory > 0 && web.memory < web.memoryLimit!,
      `web's memory use ${web.memory} is not within its limit`,
    );
    assert.equal(up.before.status, 'running');
    // web's health check is HTTP (probed from the host): status probes it instead of saying 'none'.
    assert.equal(up.before.services.find((s) => s.service === 'web')?.health, 'healthy');

    // The restarted container is the same one, started again, answering on the same URL once restart returns.
    const webId = up.before.services.find((s) => s.service === 'web')!.containerId;
    const startedBefore = (await docker.getContainer(webId).inspect()).State.StartedAt;
    const after = (await runWithBundle(
      dir,
      home,
      `await engine.restart(spec.name, branch, 'web');
  return engine.status(spec.name, branch);`,
    )) as { services: Array<{ service: string; containerId: string }> };
    const res = await fetch(`${up.urls.web}/healthz`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    assert.equal(after.services.find((s) => s.service === 'web')?.containerId, webId);
    assert.notEqual(
      (await docker.getContainer(webId).inspect()).State.StartedAt,
      startedBefore,
      'web was not restarted',
    );

    await runWithBundle(dir, home, `await engine.down(spec.name, branch);`);
    const left = await labelled('shop', BRANCH);
    assert.deepEqual(
      [left.containers.length, left.networks.length, left.volumes.length],
      [0, 0, 0],
      'down left Docker objects behind',
    );
  });
});
