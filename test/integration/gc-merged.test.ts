/**
 * `slipway gc` on real git, Docker and Pulumi: `--merged` tears down the environment of a branch
 * merged into main and keeps a new one (its dry run only lists it); an orphaned image Slipway
 * built for this state is removed, while an unlabelled image, another state's, and one a stage
 * release also tags are untouched.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABEL_ENV, LABEL_PROJECT, LABEL_STATE, projectSlug, stateId } from '../../environments/naming';
import { defaultBackendUrl } from '../../environments/paths';
import { RUN, cliJson, docker, forceDown, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';

const PROJECT = `gcm-${RUN}`;

interface GcJson {
  dryRun: boolean;
  expired: Array<{ branch: string }>;
  orphans: Array<{ env: string; images: number; removed?: boolean }>;
  finished?: Array<{ branch: string; reason: string; into?: string; removed?: boolean }>;
}

describe('gc --merged and orphaned images on real git + Docker + Pulumi', function () {
  this.timeout(15 * 60 * 1000);
  const merged = `feat/merged-${RUN}`;
  const fresh = `feat/new-${RUN}`;
  const slug = projectSlug(PROJECT);
  const images: string[] = [];
  let home: string;
  let app: string;
  let spec: string;
  let ctx: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: app, stdio: 'pipe' });

  /** Builds a tiny image with these labels and tags. */
  function build(tags: string[], labels: Record<string, string>): void {
    execFileSync(
      'docker',
      [
        'build',
        '-q',
        ...tags.flatMap((t) => ['-t', t]),
        ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
        ctx,
      ],
      { stdio: 'pipe' },
    );
    images.push(...tags);
  }
  const imageExists = (tag: string) =>
    docker
      .getImage(tag)
      .inspect()
      .then(
        () => true,
        () => false,
      );

  before(async () => {
    await requireEngines();
    home = tempHome('gcm-home');
    app = tempHome('gcm-app');
    ctx = tempHome('gcm-ctx');
    spec = join(app, 'slipway.yaml');
    mkdirSync(join(app, 'web'));
    writeFileSync(join(app, 'web', 'Dockerfile'), 'FROM slipway/busybox:local\nCMD ["sleep", "3600"]\n');
    writeFileSync(spec, `version: 1\nname: ${PROJECT}\nservices:\n  web:\n    build: ./web\n`);
    writeFileSync(join(ctx, 'Dockerfile'), `FROM slipway/busybox:local\nLABEL run=${RUN}\n`);
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'app');
    git('checkout', '-q', '-b', merged);
    writeFileSync(join(app, 'change.txt'), 'x\n');
    git('add', '-A');
    git('commit', '-qm', 'change');
    git('checkout', '-q', 'main');
    git('merge', '-q', '--no-ff', '-m', 'merge', merged);
    git('branch', fresh);
    for (const b of [merged, fresh]) {
      const r = await runCli(['up', '--spec', spec, '--branch', b], home);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  after(async () => {
    await Promise.all([merged, fresh].map((b) => forceDown(spec, b, home)));
    for (const t of images)
      await docker
        .getImage(t)
        .remove({ force: true })
        .catch(() => undefined);
    for (const d of [home, app, ctx]) removeDir(d);
  });

  it('tears down the merged branch’s environment, keeps the new one, and removes only the orphaned image of this state', async () => {
    const mine = stateId(defaultBackendUrl(home));
    const gone = `left-${RUN}`;
    const own = { [LABEL_PROJECT]: slug, [LABEL_ENV]: gone, [LABEL_STATE]: mine };
    build([`slipway/${slug}-web:${gone}`], own);
    build([`slipway/${slug}-api:${gone}`, `slipway/${slug}-api:stage_staging-r1`], { ...own, variant: 'released' });
    build([`slipway/${slug}-web:other-${RUN}`], { ...own, [LABEL_ENV]: `other-${RUN}`, [LABEL_STATE]: 'f0f0f0' });
    build([`slipway/${slug}-plain:${RUN}`], { variant: 'plain' });
    const builtTag = `slipway/${slug}-web:${(await labelled(PROJECT, merged)).containers[0].Labels[LABEL_ENV]}`;

    const dry = await cliJson<GcJson>(['gc', '--merged', '--spec', spec, '--dry-run'], home);
    assert.deepEqual(
      dry.finished?.map((f) => [f.branch, f.reason, f.into]),
      [[merged, 'merged', 'main']],
    );
    assert.deepEqual(
      dry.orphans.map((o) => [o.env, o.images]),
      [[gone, 1]],
    );
    assert.equal((await labelled(PROJECT, merged)).containers.length, 1, 'a dry run removes nothing');
    assert.equal(await imageExists(`slipway/${slug}-web:${gone}`), true);

    const done = await cliJson<GcJson>(['gc', '--merged', '--spec', spec], home);
    assert.deepEqual(
      done.finished?.map((f) => [f.branch, f.removed]),
      [[merged, true]],
    );
    assert.equal((await labelled(PROJECT, merged)).containers.length, 0, 'the merged branch’s environment is gone');
    assert.equal(await imageExists(builtTag), false, 'with the image it built');
    assert.equal((await labelled(PROJECT, fresh)).containers.length, 1, 'the new branch’s environment runs');
    assert.equal(await imageExists(`slipway/${slug}-web:${gone}`), false, 'the orphaned image is removed');
    assert.equal(await imageExists(`slipway/${slug}-api:stage_staging-r1`), true, 'a release’s image is kept');
    assert.equal(await imageExists(`slipway/${slug}-web:other-${RUN}`), true, "another state's image is kept");
    assert.equal(await imageExists(`slipway/${slug}-plain:${RUN}`), true, 'an unlabelled image is kept');

    // Without --merged nothing of the kind is looked at.
    const plain = await cliJson<GcJson>(['gc', '--dry-run'], home);
    assert.equal(plain.finished, undefined);
  });
});
