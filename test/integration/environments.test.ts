/**
 * The environment engine end to end on the real Docker Engine and the real Pulumi CLI,
 * through the real `slipway` CLI: what a CI job or a reviewer does.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envNames } from '../../environments/naming';
import {
  ROOT,
  SHOP_SPEC,
  cliJson,
  jsonData,
  docker,
  forceDown,
  getStatus,
  labelled,
  liveInGroup,
  pgrep,
  pollFor,
  RUN,
  removeDir,
  requireEngines,
  runCli,
  stackFileExists,
  startCli,
  tempHome,
} from './helpers';

interface UpJson {
  env: string;
  branch: string;
  stack: string;
  status: string;
  urls: Record<string, string>;
}
interface StatusJson {
  status: string;
  urls: Record<string, string>;
  services: Array<{ service: string; containerId: string; state: string; health: string }>;
}

const PROJECT = 'shop';

describe('environments on real Docker + Pulumi', function () {
  this.timeout(15 * 60 * 1000);
  let home: string;

  before(async () => {
    await requireEngines();
    home = tempHome('it');
  });

  after(() => removeDir(home));

  describe('a branch name of any shape', () => {
    const branch = `feature/Ünïcode & spaces ${RUN}`;
    after(() => forceDown(SHOP_SPEC, branch, home));

    it('comes up healthy, reports running, and goes down leaving nothing labelled and no stack', async () => {
      const up = await cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', branch], home);
      assert.equal(up.branch, branch);
      assert.equal(up.status, 'running');
      assert.equal(up.env, `feature-unicode-spaces-${RUN}-${up.env.slice(-6)}`);
      assert.match(up.env, /-[0-9a-f]{6}$/);
      assert.equal(up.stack, up.env);
      assert.match(up.urls.web, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(await getStatus(`${up.urls.web}/healthz`), 200);

      const status = await cliJson<StatusJson>(['status', '--spec', SHOP_SPEC, '--branch', branch], home);
      assert.equal(status.status, 'running');
      assert.deepEqual(status.urls, up.urls);
      assert.deepEqual(status.services.map((s) => s.service).sort(), ['db', 'mock-payments', 'web']);

      // Every Docker object carries the three labels; published ports bind 127.0.0.1 only.
      const objs = await labelled(PROJECT, branch);
      assert.equal(objs.containers.length, 3); // web, db and the payments mock
      assert.equal(objs.networks.length, 1);
      assert.equal(objs.volumes.length, 1);
      for (const c of objs.containers) {
        assert.equal(c.Labels['dev.slipway.branch'], branch);
        for (const p of c.Ports) if (p.PublicPort) assert.equal(p.IP, '127.0.0.1');
      }
      assert.ok(stackFileExists(home, PROJECT, branch), 'the stack exists while the environment runs');

      // The database's health check command runs every 30 s once healthy (each run is a process in
      // the container); until Docker has run it (an engine older than API 1.44 waits that long after
      // a start), status runs it itself and reports what it says.
      const db = objs.containers.find((c) => c.Labels['dev.slipway.service'] === 'db');
      assert.ok(db, 'the database container');
      const inspected = await docker.getContainer(db.Id).inspect();
      assert.equal(inspected.Config.Healthcheck?.Interval, 30_000_000_000);
      assert.equal(status.services.find((s) => s.service === 'db')?.health, 'healthy');

      // The database password is a Pulumi secret: never in the state in plain text.
      const stateDir = join(home, 'state', '.pulumi', 'stacks', envNames(PROJECT, branch).pulumiProject);
      const state = readdirSync(stateDir)
        .map((f) => readFileSync(join(stateDir, f), 'utf8'))
        .join('\n');
      assert.match(state, /ciphertext/);
      assert.doesNotMatch(state, /POSTGRES_PASSWORD=/);

      const down = await cliJson<{ status: string }>(['down', '--spec', SHOP_SPEC, '--branch', branch], home);
      assert.equal(down.status, 'absent');
      const left = await labelled(PROJECT, branch);
      assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
      assert.equal(stackFileExists(home, PROJECT, branch), false);
      // An environment that is gone is not found (exit 1, reason not-found, a hint to bring it up).
      const after = await runCli(['status', '--spec', SHOP_SPEC, '--branch', branch, '--json'], home);
      assert.equal(after.code, 1, after.stderr);
      assert.equal((JSON.parse(after.stdout) as { error: { reason: string } }).error.reason, 'not-found');
    });
  });

  describe('two branches at once', () => {
    const a = `isolation/a-${RUN}`;
    const b = `isolation/b-${RUN}`;
    after(async () => {
      await forceDown(SHOP_SPEC, a, home);
      await forceDown(SHOP_SPEC, b, home);
    });

    it('are isolated: separate networks, databases and data, and each answers', async () => {
      const [upA, upB] = await Promise.all([
        cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', a], home),
        cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', b], home),
      ]);
      assert.notEqual(upA.urls.web, upB.urls.web);
      assert.equal(await getStatus(`${upA.urls.web}/healthz`), 200);
      assert.equal(await getStatus(`${upB.urls.web}/healthz`), 200);

      const [objA, objB] = await Promise.all([labelled(PROJECT, a), labelled(PROJECT, b)]);
      assert.notEqual(objA.networks[0].Id, objB.networks[0].Id);
      assert.notEqual(objA.volumes[0].Name, objB.volumes[0].Name);
      const nets = (o: typeof objA) => new Set(o.containers.flatMap((c) => Object.keys(c.NetworkSettings.Networks)));
      assert.deepEqual([...nets(objA)], [objA.networks[0].Name]);
      assert.deepEqual([...nets(objB)], [objB.networks[0].Name]);

      // Data written in one branch's database is not in the other's.
      const name = `only-in-a-${Date.now()}`;
      const post = await fetch(`${upA.urls.web}/api/products`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, priceCents: 123 }),
      });
      assert.ok(post.ok, `POST answered ${post.status}`);
      const names = async (url: string) =>
        ((await (await fetch(`${url}/api/products`)).json()) as Array<{ name: string }>).map((p) => p.name);
      assert.ok((await names(upA.urls.web)).includes(name));
      assert.ok(!(await names(upB.urls.web)).includes(name));
    });
  });

  describe("a reviewer's service commands (url, logs, restart, down --mine)", () => {
    const branch = `service-cmds/${RUN}`;
    const theirs = `service-cmds-other/${RUN}`;
    // Someone else's environment in the same state folder: git's user.email, overridden for one run.
    const otherUser = {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'user.email',
      GIT_CONFIG_VALUE_0: `someone-else-${RUN}@slipway.test`,
    };
    let own: string;
    before(() => (own = tempHome('svc')));
    after(async () => {
      await forceDown(SHOP_SPEC, branch, own);
      await forceDown(SHOP_SPEC, theirs, own);
      removeDir(own);
    });

    it('print the URL, the logs and restart a service in place, and tear down only what the user brought up', async () => {
      const up = await cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', branch], own);
      const url = await runCli(['url', '--spec', SHOP_SPEC, '--branch', branch], own);
      assert.equal(url.code, 0, url.stderr);
      assert.equal(url.stdout.trim(), up.urls.web);

      const logs = await runCli(
        ['logs', '--spec', SHOP_SPEC, '--branch', branch, '--service', 'web', '--tail', '20'],
        own,
      );
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /listening on/);
      const unknown = await runCli(['logs', '--spec', SHOP_SPEC, '--branch', branch, '--service', 'nope'], own);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /slipway\.yaml has no service "nope": it has web, mock-payments, db/);

      const before = await cliJson<StatusJson>(['status', '--spec', SHOP_SPEC, '--branch', branch], own);
      const id = (s: StatusJson) => s.services.find((x) => x.service === 'web')!.containerId;
      const startedAt = async (s: StatusJson) => (await docker.getContainer(id(s)).inspect()).State.StartedAt;
      const startedBefore = await startedAt(before);
      const restart = await runCli(['restart', '--spec', SHOP_SPEC, '--branch', branch, '--service', 'web'], own);
      assert.equal(restart.code, 0, restart.stderr);
      // restart returns once the service is healthy again: the same container answers at once.
      assert.equal(await getStatus(`${up.urls.web}/healthz`), 200);
      const after = await cliJson<StatusJson>(['status', '--spec', SHOP_SPEC, '--branch', branch], own);
      assert.equal(id(after), id(before));
      assert.notEqual(await startedAt(after), startedBefore, 'the container was not restarted');

      const other = await cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', theirs], own, otherUser);
      const mine = await cliJson<{ owner: string; removed: string[] }>(['down', '--spec', SHOP_SPEC, '--mine'], own);
      assert.deepEqual(mine.removed, [branch]);
      const left = await labelled(PROJECT, branch);
      assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
      // Someone else's environment is not "mine": it still runs.
      assert.equal(await getStatus(`${other.urls.web}/healthz`), 200);
      const theirsAsOwner = await cliJson<{ removed: string[] }>(
        ['down', '--spec', SHOP_SPEC, '--mine'],
        own,
        otherUser,
      );
      assert.deepEqual(theirsAsOwner.removed, [theirs]);
    });
  });

  describe('incremental up', () => {
    const branch = `incremental-${RUN}`;
    let dir: string;
    let spec: string;
    before(() => {
      dir = tempHome('spec');
      spec = join(dir, 'slipway.yaml');
      writeFileSync(spec, twoServiceSpec('one'));
    });
    after(async () => {
      await forceDown(spec, branch, home);
      removeDir(dir);
    });

    it('changes nothing when nothing changed, recreates only the service whose env changed, and brings back a removed one', async () => {
      const first = await cliJson<UpJson>(['up', '--spec', spec, '--branch', branch], home);
      const ids = async () =>
        Object.fromEntries(
          (await labelled(PROJECT, branch)).containers.map((c) => [c.Labels['dev.slipway.service'], c.Id]),
        );
      const before = await ids();
      assert.deepEqual(Object.keys(before).sort(), ['db', 'static', 'web']);

      // A second up with nothing changed changes nothing: same containers, same ports.
      const again = await runCli(['up', '--spec', spec, '--branch', branch, '--json'], home);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(jsonData<{ urls: Record<string, string> }>(again.stdout).urls, first.urls);
      assert.deepEqual(await ids(), before);
      assert.doesNotMatch(
        again.stderr,
        /\b(create|update|replace|delete)\b.*\.\.\./,
        'a no-op up starts no resource operation',
      );

      // Change one service's env: only that container is recreated; ports stay.
      writeFileSync(spec, twoServiceSpec('two'));
      const changed = await cliJson<UpJson>(['up', '--spec', spec, '--branch', branch], home);
      assert.deepEqual(changed.urls, first.urls);
      const afterIds = await ids();
      assert.notEqual(afterIds.static, before.static, 'the changed service was recreated');
      assert.equal(afterIds.web, before.web, 'web was not touched');
      assert.equal(afterIds.db, before.db, 'db was not touched');
      const env = (await docker.getContainer(afterIds.static).inspect()).Config.Env;
      assert.ok(env.includes('FLAVOUR=two'));
      assert.equal(await getStatus(`${changed.urls.static}/index.html`), 200);

      // A container removed behind Slipway's back is recreated by the next up; nothing else moves.
      await docker.getContainer(afterIds.web).remove({ force: true });
      const healed = await cliJson<UpJson>(['up', '--spec', spec, '--branch', branch], home);
      const healedIds = await ids();
      assert.notEqual(healedIds.web, afterIds.web);
      assert.equal(healedIds.db, afterIds.db);
      assert.equal(healedIds.static, afterIds.static);
      assert.deepEqual(healed.urls, first.urls, 'the recreated service keeps its port');
      assert.equal(await getStatus(`${healed.urls.web}/healthz`), 200);
    });
  });

  describe('an invalid spec', () => {
    let dir: string;
    before(() => {
      dir = tempHome('bad');
    });
    after(() => removeDir(dir));

    for (const [label, body, where, field] of [
      [
        'unknown field',
        twoServiceSpec('x').replace('    ports: [8081]', '    prots: [8081]'),
        /:\d+:5: /,
        /services\.static\.prots/,
      ],
      [
        'wrong type',
        twoServiceSpec('x').replace('ports: [8081]', 'ports: [eighty]'),
        /:\d+:\d+: /,
        /services\.static\.ports\[0\]/,
      ],
      [
        'bad reference',
        twoServiceSpec('x').replace('databases.db.url', 'databases.nope.url'),
        /:\d+:\d+: /,
        /services\.web\.env\.DATABASE_URL/,
      ],
    ] as const) {
      it(`fails on ${label} with file:line:column and the field, and creates nothing`, async () => {
        const spec = join(dir, `${label.replace(/ /g, '-')}.yaml`);
        writeFileSync(spec, body);
        const r = await runCli(['up', '--spec', spec, '--branch', `bad-spec-${RUN}`], home);
        assert.equal(r.code, 1);
        assert.ok(r.stderr.includes(spec), `names the file: ${r.stderr}`);
        assert.match(r.stderr, where);
        assert.match(r.stderr, field);
        const objs = await labelled(PROJECT, `bad-spec-${RUN}`);
        assert.deepEqual([objs.containers.length, objs.networks.length, objs.volumes.length], [0, 0, 0]);
        assert.equal(stackFileExists(home, PROJECT, `bad-spec-${RUN}`), false);
      });
    }
  });

  describe('kill -9 in the middle of up', () => {
    const branch = `interrupted-${RUN}`;
    after(() => forceDown(SHOP_SPEC, branch, home));

    for (const [label, group] of [
      ['of the CLI alone', false],
      ['of the CLI, its worker and Pulumi (every process of the operation)', true],
    ] as const) {
      it(`${label} leaves a state from which up converges and down removes everything`, async () => {
        const child = startCli(['up', '--spec', SHOP_SPEC, '--branch', branch], home);
        // Listened for from the start: the CLI can end by itself (its worker killed) before it is killed.
        const closed = new Promise((r) => child.once('close', r));
        await new Promise<void>((resolve, reject) => {
          let seen = '';
          const timer = setTimeout(() => reject(new Error(`no resource operation started:\n${seen}`)), 300_000);
          child.stderr!.on('data', (d) => {
            seen += d;
            // Kill once the database container is being created: mid-flight, with state written.
            if (/create\s+container db \.\.\./.test(seen)) {
              clearTimeout(timer);
              const kill = async () => {
                if (group) {
                  // The worker leads a process group of its own (with Pulumi and its plugins): wait
                  // until the worker and a pulumi process in its group are there, kill the group, and
                  // wait until none of it is left.
                  const worker = await pollFor(
                    'the stack worker',
                    () => pgrep(['-P', String(child.pid), '-f', 'stack-worker'])[0],
                  );
                  await pollFor(
                    `pulumi in the worker's process group ${worker}`,
                    () => pgrep(['-g', String(worker), '-f', 'pulumi']).some((p) => p !== worker) || undefined,
                  );
                  process.kill(-worker, 'SIGKILL');
                  await pollFor(
                    `the end of process group ${worker}`,
                    () => liveInGroup(worker).length === 0 || undefined,
                  );
                }
                child.kill('SIGKILL');
              };
              kill().then(resolve, reject);
            }
          });
        });
        await closed;

        const up = await cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', branch], home);
        assert.equal(await getStatus(`${up.urls.web}/healthz`), 200);
        const objs = await labelled(PROJECT, branch);
        assert.equal(objs.containers.length, 3, 'exactly one container per service and mock: no orphan');

        await cliJson(['down', '--spec', SHOP_SPEC, '--branch', branch], home);
        const left = await labelled(PROJECT, branch);
        assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
        assert.equal(stackFileExists(home, PROJECT, branch), false);
      });
    }
  });
});

/** The shop plus a small static service; `flavour` goes into the static service's env. */
function twoServiceSpec(flavour: string): string {
  return `version: 1
name: shop
services:
  web:
    build: ${join(ROOT, 'examples', 'shop')}
    ports: [8080]
    env:
      DATABASE_URL: \${{ databases.db.url }}
    healthcheck:
      http: /healthz
      timeout: 90s
  static:
    build: ${join(ROOT, 'test', 'fixtures', 'two-services', 'static')}
    ports: [8081]
    env:
      FLAVOUR: ${flavour}
    healthcheck:
      http: /index.html
databases:
  db:
    engine: postgres
    version: "15"
`;
}
