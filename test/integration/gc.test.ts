/**
 * TTL and garbage collection on the real Docker Engine and Pulumi, through the real CLI, with the
 * clock moved by SLIPWAY_NOW: an idle environment past its TTL is torn down, one extended since
 * is kept; a container labelled for this state with no environment is removed, an unlabelled one
 * and another state's are untouched.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABEL_ENV, LABEL_PROJECT, LABEL_STATE, projectSlug, stateId } from '../../environments/naming';
import { defaultBackendUrl } from '../../environments/paths';
import { RUN, cliJson, docker, forceDown, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';

const PROJECT = `gc-${RUN}`;

interface GcJson {
  dryRun: boolean;
  expired: Array<{ branch: string; removed?: boolean }>;
  orphans: Array<{ project: string; env: string; containers: number; removed?: boolean }>;
}

describe('TTL and gc on real Docker + Pulumi', function () {
  this.timeout(15 * 60 * 1000);
  let home: string;
  let dir: string;
  let specFile: string;
  const idle = `gc/idle-${RUN}`;
  const active = `gc/active-${RUN}`;
  const made: string[] = [];

  before(async () => {
    await requireEngines();
    home = tempHome('gc-home');
    dir = tempHome('gc-ws');
    specFile = join(dir, 'slipway.yaml');
    writeFileSync(
      specFile,
      `version: 1\nname: ${PROJECT}\nservices:\n  app:\n    image: slipway/busybox:local\n    command: ["sleep", "3600"]\n`,
    );
  });

  after(async () => {
    await Promise.all([idle, active].map((b) => forceDown(specFile, b, home)));
    for (const id of made)
      await docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => undefined);
    removeDir(home);
    removeDir(dir);
  });

  async function container(name: string, labels: Record<string, string>): Promise<string> {
    const c = await docker.createContainer({
      name,
      Image: 'slipway/busybox:local',
      Cmd: ['sleep', '3600'],
      Labels: labels,
    });
    made.push(c.id);
    return c.id;
  }

  const exists = (id: string) =>
    docker
      .getContainer(id)
      .inspect()
      .then(
        () => true,
        () => false,
      );

  it('removes the idle environment past its TTL and the orphan, keeps the active one and what is not this state’s', async () => {
    for (const b of [idle, active]) {
      const r = await runCli(['up', '--spec', specFile, '--branch', b, '--ttl', '1h'], home);
      assert.equal(r.code, 0, r.stderr);
    }
    const status = await cliJson<{ ttl?: { ms: number; expiresAt: string } }>(
      ['status', '--spec', specFile, '--branch', idle],
      home,
    );
    assert.equal(status.ttl?.ms, 3600_000);

    // 50 minutes later the active one is used again: it lives an hour from then.
    const extended = await cliJson<{ expires: string }>(['extend', '--spec', specFile, '--branch', active], home, {
      SLIPWAY_NOW: '50m',
    });
    assert.ok(Date.parse(extended.expires) > Date.now() + 100 * 60_000, extended.expires);

    const mine = stateId(defaultBackendUrl(home));
    const orphan = await container(`slipway-gc-orphan-${RUN}`, {
      [LABEL_PROJECT]: projectSlug(PROJECT),
      [LABEL_ENV]: `left-${RUN}`,
      [LABEL_STATE]: mine,
    });
    const unlabelled = await container(`slipway-gc-plain-${RUN}`, {});
    const foreign = await container(`slipway-gc-foreign-${RUN}`, {
      [LABEL_PROJECT]: projectSlug(PROJECT),
      [LABEL_ENV]: `left-${RUN}`,
      [LABEL_STATE]: 'f0f0f0',
    });

    // 70 minutes later: a dry run names both and removes nothing.
    const dry = await cliJson<GcJson>(['gc', '--dry-run'], home, { SLIPWAY_NOW: '70m' });
    assert.deepEqual(
      dry.expired.map((e) => e.branch),
      [idle],
    );
    assert.deepEqual(
      dry.orphans.map((o) => [o.env, o.containers]),
      [[`left-${RUN}`, 1]],
    );
    assert.equal((await labelled(PROJECT, idle)).containers.length, 1);
    assert.equal(await exists(orphan), true);

    const done = await cliJson<GcJson>(['gc'], home, { SLIPWAY_NOW: '70m' });
    assert.deepEqual(
      done.expired.map((e) => [e.branch, e.removed]),
      [[idle, true]],
    );
    assert.deepEqual(
      done.orphans.map((o) => [o.env, o.removed]),
      [[`left-${RUN}`, true]],
    );
    assert.equal((await labelled(PROJECT, idle)).containers.length, 0, 'the idle environment is gone');
    assert.equal(
      (await labelled(PROJECT, active)).containers.filter((c) => c.Labels[LABEL_STATE] === mine).length,
      1,
      'the active one runs',
    );
    assert.equal(await exists(orphan), false, 'the orphan is removed');
    assert.equal(await exists(unlabelled), true, 'an unlabelled container is untouched');
    assert.equal(await exists(foreign), true, "another state's container is untouched");

    // Past the active one's expiry too, it goes the same way.
    const later = await cliJson<GcJson>(['gc'], home, { SLIPWAY_NOW: '2h' });
    assert.deepEqual(
      later.expired.map((e) => e.branch),
      [active],
    );
  });
});
