/**
 * Quotas on the real Docker Engine and Pulumi, through the real CLI: a workspace limit refuses
 * with exit 4 naming the limit and its file, a user's looser setting does not loosen it, four
 * concurrent `up`s for the last two slots leave exactly two environments and nothing of the
 * others, and the per-environment default is the containers' Docker CPU and memory limits.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envNames } from '../../environments/naming';
import { recordPath } from '../../environments/records';
import {
  RUN,
  docker,
  forceDown,
  git,
  labelled,
  removeDir,
  requireEngines,
  runCli,
  stackFileExists,
  tempHome,
} from './helpers';

const PROJECT = `quota-${RUN}`;
const OWNER = `quota-${RUN}@slipway.test`;

describe('quotas on real Docker + Pulumi', function () {
  this.timeout(20 * 60 * 1000);
  let home: string;
  let dir: string;
  let specFile: string;
  const branches = ['a', 'b', 'c', 'r1', 'r2', 'r3', 'r4'].map((b) => `quota/${b}-${RUN}`);

  before(async () => {
    await requireEngines();
    home = tempHome('quota-home');
    dir = tempHome('quota-ws');
    git(['init', '-q'], dir);
    git(['config', 'user.email', OWNER], dir);
    specFile = join(dir, 'slipway.yaml');
    writeFileSync(
      specFile,
      `version: 1\nname: ${PROJECT}\nservices:\n  app:\n    image: slipway/busybox:local\n    command: ["sleep", "3600"]\n`,
    );
    mkdirSync(join(dir, '.vscode'));
    writeFileSync(
      join(dir, '.vscode', 'settings.json'),
      `{
  // the team's limits, committed with the workspace
  "slipway.quotas.maxEnvironmentsPerUser": 2,
  "slipway.quotas.cpusPerEnvironment": 0.5,
  "slipway.quotas.memoryPerEnvironment": "64m",
}
`,
    );
    // The user's own setting is looser: it must not loosen the team's.
    writeFileSync(join(home, 'settings.json'), JSON.stringify({ 'slipway.quotas.maxEnvironmentsPerUser': 5 }));
  });

  after(async () => {
    await Promise.all(branches.map((b) => forceDown(specFile, b, home)));
    removeDir(home);
    removeDir(dir);
  });

  const up = (branch: string) => runCli(['up', '--spec', specFile, '--branch', branch], home);
  const down = (branch: string) => runCli(['down', '--spec', specFile, '--branch', branch], home);

  async function leftNothing(branch: string): Promise<void> {
    const names = envNames(PROJECT, branch);
    const l = await labelled(PROJECT, branch);
    assert.equal(
      l.containers.length + l.networks.length + l.volumes.length,
      0,
      `${branch}: Docker objects left behind`,
    );
    assert.equal(existsSync(recordPath(home, names.project, names.env)), false, `${branch}: a record was left behind`);
    assert.equal(stackFileExists(home, PROJECT, branch), false, `${branch}: a stack was left behind`);
  }

  it('refuses a third environment with exit 4, naming the limit and .vscode/settings.json; the user setting of 5 does not loosen it', async () => {
    for (const b of branches.slice(0, 2)) {
      const r = await up(b);
      assert.equal(r.code, 0, r.stderr);
    }
    const third = await up(branches[2]);
    assert.equal(third.code, 4, third.stderr);
    const message = third.stderr;
    assert.match(message, /environments per user is limited to 2 by slipway\.quotas\.maxEnvironmentsPerUser/);
    assert.ok(message.includes(join(dir, '.vscode', 'settings.json')), message);
    assert.match(message, new RegExp(`2 in use \\(${OWNER.replace(/\./g, '\\.')}: `));
    assert.ok(message.includes(`${PROJECT}/${branches[0]}`) && message.includes(`${PROJECT}/${branches[1]}`), message);
    await leftNothing(branches[2]);

    const listed = await runCli(['list', '--all', '--spec', specFile], home, 60_000);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(
      listed.stdout.includes(
        `environments per user: 2 of 2 (slipway.quotas.maxEnvironmentsPerUser in ${join(dir, '.vscode', 'settings.json')}); held by ${OWNER}: `,
      ) && listed.stdout.includes(`${PROJECT}/${branches[1]}`),
      listed.stdout,
    );
  });

  it('applies the per-environment default as the container’s Docker CPU and memory limits', async () => {
    const [c] = (await labelled(PROJECT, branches[0])).containers;
    const info = await docker.getContainer(c.Id).inspect();
    assert.equal(info.HostConfig.NanoCpus, 0.5e9);
    assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024);
  });

  it('four concurrent ups for the last two slots: exactly two succeed, nothing is left of the two refused', async () => {
    for (const b of branches.slice(0, 2)) assert.equal((await down(b)).code, 0);
    const racers = branches.slice(3);
    const results = await Promise.all(racers.map((b) => up(b)));
    const won = racers.filter((_, i) => results[i].code === 0);
    const refused = racers.filter((_, i) => results[i].code === 4);
    assert.equal(won.length, 2, results.map((r) => `${r.code}: ${r.stderr}`).join('\n'));
    assert.equal(refused.length, 2, results.map((r) => `${r.code}: ${r.stderr}`).join('\n'));
    for (const [i, r] of results.entries())
      if (r.code === 4) assert.match(r.stderr, /slipway\.quotas\.maxEnvironmentsPerUser/, racers[i]);
    for (const b of refused) await leftNothing(b);
    for (const b of won) assert.equal((await labelled(PROJECT, b)).containers.length, 1, `${b} runs`);
  });
});
