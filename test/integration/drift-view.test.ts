/**
 * `drift` from the declared view that each `up` keeps: with no Pulumi CLI reachable at all it gives
 * the same report as the check against Pulumi's state, for each kind of drift by hand; the view
 * holds no secret in plain text; a spec that changed goes to Pulumi; `down` removes the view.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envNames } from '../../environments/naming';
import {
  ROOT,
  RUN,
  jsonData,
  copyFixture,
  docker,
  labelled,
  removeDir,
  requireEngines,
  runCli,
  tempHome,
} from './helpers';

interface DriftJson {
  env: string;
  drifted: boolean;
  items: Array<{
    resource: string;
    property: string;
    source: string;
    declared: string;
    actual: string;
    remedies: string[];
  }>;
}

/** No Pulumi CLI at all: an operation that needs one fails with `pulumi-unavailable`. */
const NO_PULUMI = { SLIPWAY_PULUMI: '/nonexistent/slipway-test/pulumi' };

const sorted = (r: DriftJson) =>
  r.items.map((i) => [i.resource, i.property, i.source, i.declared, i.actual, i.remedies.join('+')].join(' | ')).sort();

describe('drift from the declared view (no Pulumi run) on real Docker', function () {
  this.timeout(15 * 60 * 1000);
  const branch = `view-${RUN}`;
  const project = `shopview${RUN}`;
  let home: string;
  let app: string;
  let specFile: string;
  let view: string;
  /** A drift report: exit 0 without drift, 3 with it. */
  const drift = async (env: NodeJS.ProcessEnv = {}, ...extra: string[]) => {
    const r = await runCli(['drift', ...extra, '--spec', specFile, '--branch', branch, '--json'], home, 600_000, env);
    const report = jsonData<DriftJson>(r.stdout);
    assert.equal(r.code, report.drifted ? 3 : 0, r.stderr);
    return report;
  };

  /** The report from the view (Pulumi unreachable), then from Pulumi's state (the view set aside); both must agree. */
  async function bothWays(): Promise<string[]> {
    assert.ok(existsSync(view), 'the last up (or clean check) kept a view');
    const fast = await drift(NO_PULUMI);
    const kept = readFileSync(view, 'utf8');
    rmSync(view);
    const slow = await drift();
    if (!existsSync(view)) writeFileSync(view, kept, { mode: 0o600 });
    assert.deepEqual(sorted(fast), sorted(slow), 'the view and Pulumi report the same drift');
    assert.equal(fast.drifted, slow.drifted);
    return sorted(fast);
  }

  before(async () => {
    await requireEngines();
    home = tempHome('view');
    app = copyFixture(join(ROOT, 'examples', 'shop'), 'view-app');
    specFile = join(app, 'slipway.yaml');
    writeFileSync(
      specFile,
      readFileSync(specFile, 'utf8')
        .replace(/^name: shop$/m, `name: ${project}`)
        .replace(/^ +PAYMENTS_URL: .*\n/m, '')
        .replace(/^mocks:\n(?: .*\n)+/m, ''),
    );
    const up = await runCli(['up', '--spec', specFile, '--branch', branch, '--json'], home);
    assert.equal(up.code, 0, up.stderr);
    const names = envNames(project, branch);
    view = join(home, 'views', names.project, `${names.env}.json`);
  });

  after(async () => {
    await runCli(['down', '--spec', specFile, '--branch', branch], home);
    removeDir(app);
    removeDir(home);
  });

  it('is kept by up, private, with no secret in plain text', async () => {
    assert.equal(statSync(view).mode & 0o777, 0o600);
    const db = (await labelled(project, branch)).containers.find((c) => c.Labels['dev.slipway.service'] === 'db');
    assert.ok(db, 'the database container runs');
    const env = (await docker.getContainer(db.Id).inspect()).Config.Env ?? [];
    const password = env.find((e) => e.startsWith('POSTGRES_PASSWORD='))?.split('=')[1];
    assert.ok(password && password.length >= 16, 'the database has a generated password');
    assert.ok(!readFileSync(view, 'utf8').includes(password), 'the view never holds the password');
  });

  it('reports what Pulumi reports, without Pulumi: none, a limit, a stop, a container made again with other env', async () => {
    assert.deepEqual(await bothWays(), []);
    const web = (await labelled(project, branch)).containers.find((c) => c.Labels['dev.slipway.service'] === 'web')!;
    await docker.getContainer(web.Id).update({ Memory: 300 * 1024 * 1024, MemorySwap: 600 * 1024 * 1024 });
    assert.deepEqual(await bothWays(), ['web | memory | reality | 268435456 | 314572800 | reapply+accept']);
    const db = (await labelled(project, branch)).containers.find((c) => c.Labels['dev.slipway.service'] === 'db')!;
    await docker.getContainer(db.Id).stop({ t: 1 });
    assert.ok((await bothWays()).includes('db | state | reality | running | exited | reapply+accept'));
    // web made again by hand under its own name, with another env and no limits.
    const info = await docker.getContainer(web.Id).inspect();
    await docker.getContainer(web.Id).remove({ force: true });
    const again = await docker.createContainer({
      name: info.Name.replace(/^\//, ''),
      Image: info.Image,
      Env: ['GREETING=by hand', 'EXTRA=1'],
    });
    try {
      const items = await bothWays();
      for (const expected of [
        'web | env.EXTRA | reality | (unset) | (set) | reapply+accept',
        'web | env.GREETING | reality | (secret) | (secret) | reapply+accept',
        'web | env.DATABASE_URL | reality | (secret) | (unset) | reapply+accept',
      ])
        assert.ok(items.includes(expected), `${expected} in ${items.join('\n')}`);
      assert.ok(items.some((i) => i.startsWith('web | container id | reality |')));
    } finally {
      await again.remove({ force: true }).catch(() => undefined);
    }
    // Reapply makes reality match again; its up keeps a new view, so the next check needs no Pulumi.
    const fixed = await drift({}, '--reapply');
    assert.deepEqual(fixed.items, []);
    assert.deepEqual((await drift(NO_PULUMI)).items, []);
  });

  it('asks Pulumi when the spec changed since the last up', async () => {
    writeFileSync(specFile, readFileSync(specFile, 'utf8').replace('GREETING: Hello from Slipway', 'GREETING: Hi'));
    const r = await runCli(['drift', '--spec', specFile, '--branch', branch, '--json'], home, 600_000, NO_PULUMI);
    assert.notEqual(r.code, 0, 'a changed spec needs a preview, which needs Pulumi');
    assert.match(r.stdout, /pulumi-unavailable/);
    const report = await drift();
    assert.ok(report.items.some((i) => i.source === 'spec' && i.resource === 'web'));
  });

  it('is removed by down', async () => {
    const down = await runCli(['down', '--spec', specFile, '--branch', branch], home);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(existsSync(view), false);
  });
});
