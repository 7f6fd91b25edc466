/**
 * Slipway's own files under SLIPWAY_HOME damaged by hand (a record cut short, the passphrase
 * deleted or changed, an audit line or a releases file broken), through the real `slipway` CLI
 * on the real Docker Engine and Pulumi: each is named, nothing is silently reset, and what does
 * not need the file keeps working.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { envNames } from '../../environments/naming';
import { SHOP_SPEC, cliJson, forceDown, labelled, RUN, removeDir, requireEngines, runCli, tempHome } from './helpers';

interface UpJson {
  env: string;
  urls: Record<string, string>;
}
interface StatusJson {
  branch: string;
  status: string;
  owner?: string;
  createdAt?: string;
  lastOperation?: { op: string; status: string };
  services: Array<{ service: string; containerId: string; state: string }>;
  damaged?: { file: string; line: number; problem: string; hint: string };
}

const PROJECT = 'shop';
/** One git identity for every run here, so that `down --mine` finds what `up` made. */
const ME = {
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'user.email',
  GIT_CONFIG_VALUE_0: `damaged-files-${RUN}@slipway.test`,
};

const recordFile = (home: string, branch: string) =>
  join(home, 'envs', PROJECT, `${envNames(PROJECT, branch).env}.json`);
const mode = (path: string) => statSync(path).mode & 0o777;

/** Cuts a file short, in the middle of its content (a crash or a full disk mid-write). */
function truncate(file: string): void {
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
}

async function runningIds(branch: string): Promise<string[]> {
  return (await labelled(PROJECT, branch)).containers
    .filter((c) => c.State === 'running')
    .map((c) => c.Id)
    .sort();
}

/** Every file under `dir` (relative paths), leaving out the folders given. */
function filesUnder(dir: string, skip: string[]): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (skip.includes(e.name)) continue;
    if (e.isDirectory()) out.push(...filesUnder(path, []).map((f) => join(e.name, f)));
    else out.push(e.name);
  }
  return out;
}

describe('damaged files under SLIPWAY_HOME, through the real CLI', function () {
  this.timeout(20 * 60 * 1000);
  before(requireEngines);

  describe('a truncated environment record', () => {
    const branch = `damaged-record-${RUN}`;
    let home: string;
    before(() => (home = tempHome('damaged-record')));
    after(async () => {
      await forceDown(SHOP_SPEC, branch, home);
      removeDir(home);
    });

    it('is listed as damaged, found by status, keeps its age through the next up, and is torn down by down --mine', async () => {
      const up = await cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', branch], home, ME);
      const first = JSON.parse(readFileSync(recordFile(home, branch), 'utf8')) as { createdAt: string; owner: string };
      assert.equal(first.owner, ME.GIT_CONFIG_VALUE_0);
      // Who brought it up and when are on its containers, which outlive the record.
      for (const c of (await labelled(PROJECT, branch)).containers) {
        assert.equal(c.Labels['dev.slipway.owner'], first.owner);
        assert.equal(c.Labels['dev.slipway.created'], first.createdAt);
      }
      const ids = await runningIds(branch);
      assert.equal(ids.length, 3); // web, db and the payments mock

      truncate(recordFile(home, branch));
      const list = await cliJson<StatusJson[]>(['list', '--spec', SHOP_SPEC], home, ME);
      const listed = list.find((s) => s.branch === branch);
      assert.ok(listed, `list left the environment out: ${JSON.stringify(list)}`);
      assert.equal(listed.status, 'running');
      assert.equal(listed.owner, first.owner);
      assert.equal(listed.createdAt, first.createdAt);
      assert.equal(listed.damaged?.file, recordFile(home, branch));
      assert.match(listed.damaged?.problem ?? '', /not valid JSON/);
      const all = await cliJson<StatusJson[]>(['list', '--all'], home, ME);
      assert.ok(
        all.some((s) => s.branch === branch && s.damaged),
        'list --all left it out',
      );
      const text = await runCli(['list', '--spec', SHOP_SPEC], home, undefined, ME);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`${branch}\\s+running damaged`));
      assert.ok(text.stdout.includes(`record damaged: ${recordFile(home, branch)}:`), text.stdout);

      const status = await cliJson<StatusJson>(['status', '--spec', SHOP_SPEC, '--branch', branch], home, ME);
      assert.equal(status.status, 'running');
      assert.ok(status.damaged);
      assert.deepEqual(status.services.map((s) => s.service).sort(), ['db', 'mock-payments', 'web']);

      // The next up rebuilds the record from the labels: its creation time (the age) is kept.
      const again = await runCli(['up', '--spec', SHOP_SPEC, '--branch', branch], home, undefined, ME);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /record is damaged.*rebuilding it from its Docker labels/);
      const rebuilt = JSON.parse(readFileSync(recordFile(home, branch), 'utf8')) as {
        createdAt: string;
        owner: string;
        urls: Record<string, string>;
      };
      assert.equal(rebuilt.createdAt, first.createdAt);
      assert.equal(rebuilt.owner, first.owner);
      assert.deepEqual(rebuilt.urls, up.urls, 'the URLs changed');
      const healthy = await cliJson<StatusJson>(['status', '--spec', SHOP_SPEC, '--branch', branch], home, ME);
      assert.equal(healthy.damaged, undefined);
      assert.equal(healthy.createdAt, first.createdAt);

      // Damaged again: down --mine still finds it by its labels' owner, and removes everything.
      truncate(recordFile(home, branch));
      const mine = await cliJson<{ removed: string[] }>(['down', '--spec', SHOP_SPEC, '--mine'], home, ME);
      assert.deepEqual(mine.removed, [branch]);
      const left = await labelled(PROJECT, branch);
      assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
      assert.equal(existsSync(recordFile(home, branch)), false);
    });
  });

  describe('the secrets passphrase', () => {
    const branch = `passphrase-${RUN}`;
    const other = `passphrase-other-${RUN}`;
    let home: string;
    let kept: string;
    before(() => (home = tempHome('passphrase')));
    after(async () => {
      if (kept) writeFileSync(join(home, 'passphrase'), kept, { mode: 0o600 });
      await forceDown(SHOP_SPEC, branch, home);
      await forceDown(SHOP_SPEC, other, home);
      removeDir(home);
    });

    const assertOneClearMessage = (r: { code: number | null; stderr: string }, file: string) => {
      assert.equal(r.code, 1, r.stderr);
      assert.ok(r.stderr.includes(file), r.stderr);
      assert.match(r.stderr, /PULUMI_CONFIG_PASSPHRASE/);
      assert.match(r.stderr, /Nothing was changed/);
      assert.doesNotMatch(r.stderr, /again; it continues|incorrect passphrase|pulumi (up|destroy|stack)|--stack/);
      assert.equal(r.stderr.match(/^slipway /gm)?.length, 1, `more than one error:\n${r.stderr}`);
    };

    it('deleted: one clear message, no new passphrase made, the containers untouched and not marked failed', async () => {
      await cliJson<UpJson>(['up', '--spec', SHOP_SPEC, '--branch', branch], home, ME);
      const file = join(home, 'passphrase');
      kept = readFileSync(file, 'utf8');
      const ids = await runningIds(branch);
      rmSync(file);

      for (const args of [
        ['down', '--spec', SHOP_SPEC, '--branch', branch],
        ['up', '--spec', SHOP_SPEC, '--branch', other],
      ]) {
        const r = await runCli(args, home, undefined, ME);
        assertOneClearMessage(r, file);
        assert.match(r.stderr, /is missing/);
        assert.equal(existsSync(file), false, `slipway ${args[0]} made a new passphrase`);
      }
      assert.deepEqual(await runningIds(branch), ids);
      assert.equal((await labelled(PROJECT, other)).containers.length, 0);
      const status = await cliJson<StatusJson>(['status', '--spec', SHOP_SPEC, '--branch', branch], home, ME);
      assert.equal(status.status, 'running');
      assert.equal(status.lastOperation?.status, 'succeeded');
    });

    it('wrong: Pulumi cannot decrypt, said once, with the file and PULUMI_CONFIG_PASSPHRASE; the record keeps its state', async () => {
      const file = join(home, 'passphrase');
      writeFileSync(file, 'not-the-passphrase-the-stack-was-made-with\n', { mode: 0o600 });
      const ids = await runningIds(branch);
      const before = readFileSync(recordFile(home, branch), 'utf8');
      const down = await runCli(['down', '--spec', SHOP_SPEC, '--branch', branch], home, undefined, ME);
      assertOneClearMessage(down, file);
      assert.match(down.stderr, /not the one this state's stacks were encrypted with/);
      assert.equal(readFileSync(recordFile(home, branch), 'utf8'), before, 'the record was changed');
      assert.deepEqual(await runningIds(branch), ids);
      const status = await cliJson<StatusJson>(['status', '--spec', SHOP_SPEC, '--branch', branch], home, ME);
      assert.equal(status.status, 'running');
      // Pulumi would make a new stack with any passphrase: one that does not open the others is refused.
      const fresh = await runCli(['up', '--spec', SHOP_SPEC, '--branch', other], home, undefined, ME);
      assertOneClearMessage(fresh, file);
      assert.equal(existsSync(recordFile(home, other)), false, 'a record was left for the refused up');
      assert.equal(
        existsSync(join(home, 'state', '.pulumi', 'stacks', 'slipway-shop', `${envNames(PROJECT, other).env}.json`)),
        false,
        'a stack was made',
      );
      assert.equal((await labelled(PROJECT, other)).containers.length, 0);

      // With the right passphrase back, down works.
      writeFileSync(file, kept, { mode: 0o600 });
      const ok = await runCli(['down', '--spec', SHOP_SPEC, '--branch', branch], home, undefined, ME);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal((await labelled(PROJECT, branch)).containers.length, 0);
    });
  });

  describe('a damaged audit line and a truncated releases file', () => {
    const branch = `damaged-pipeline-${RUN}`;
    let home: string;
    before(() => (home = tempHome('damaged-pipeline')));
    after(async () => {
      await forceDown(SHOP_SPEC, branch, home);
      removeDir(home);
    });

    it('are each named with file and line, are left as they were, and up, status and down keep working', async () => {
      const audit = join(home, 'audit', `${PROJECT}.jsonl`);
      const releases = join(home, 'releases', PROJECT, 'staging.json');
      mkdirSync(dirname(audit), { recursive: true });
      mkdirSync(dirname(releases), { recursive: true });
      const auditText =
        '{"seq":1,"at":"2026-01-01T00:00:00.000Z","actor":"a@b","action":"approve","stage":"staging","prevHash":"","hash":"x"}\n{"seq":2,"at":"2026-01-0\n';
      const releasesText =
        '{\n  "project": "shop",\n  "stage": "staging",\n  "releases": [\n    { "number": 1, "at": "2026-01-01T00:';
      writeFileSync(audit, auditText);
      writeFileSync(releases, releasesText);

      const up = await runCli(['up', '--spec', SHOP_SPEC, '--branch', branch], home, undefined, ME);
      assert.equal(up.code, 0, up.stderr);
      const status = await cliJson<StatusJson>(['status', '--spec', SHOP_SPEC, '--branch', branch], home, ME);
      assert.equal(status.status, 'running');

      const history = await runCli(['history', '--spec', SHOP_SPEC], home, undefined, ME);
      assert.equal(history.code, 1);
      assert.ok(history.stderr.includes(`${audit}:2: not valid JSON`), history.stderr);
      assert.match(history.stderr, /backup/);
      const approve = await runCli(
        ['approve', '--spec', SHOP_SPEC, '--from', branch, '--to', 'staging', '--as', 'reviewer@slipway.test'],
        home,
        undefined,
        ME,
      );
      assert.equal(approve.code, 1);
      assert.ok(approve.stderr.includes(`${audit}:2:`), approve.stderr);
      assert.equal(
        existsSync(join(home, 'approvals', PROJECT)),
        false,
        'an approval that cannot be audited was recorded',
      );

      const rollback = await runCli(['rollback', '--spec', SHOP_SPEC, '--stage', 'staging'], home, undefined, ME);
      assert.equal(rollback.code, 1);
      assert.ok(rollback.stderr.includes(`${releases}:5: not valid JSON`), rollback.stderr);
      assert.match(rollback.stderr, /restore it from a backup, or remove it/i);

      assert.equal(readFileSync(audit, 'utf8'), auditText, 'the audit log was changed');
      assert.equal(readFileSync(releases, 'utf8'), releasesText, 'the releases file was changed');

      const down = await runCli(['down', '--spec', SHOP_SPEC, '--branch', branch], home, undefined, ME);
      assert.equal(down.code, 0, down.stderr);
      assert.equal((await labelled(PROJECT, branch)).containers.length, 0);
    });
  });

  describe('file modes', () => {
    const branch = `modes-${RUN}`;
    let home: string;
    before(() => (home = join(tempHome('modes'), 'home')));
    after(async () => {
      await forceDown(SHOP_SPEC, branch, home);
      removeDir(dirname(home));
    });

    it('SLIPWAY_HOME is made 0700 and every file Slipway writes in it is 0600', async () => {
      const up = await runCli(['up', '--spec', SHOP_SPEC, '--branch', branch], home, undefined, ME);
      assert.equal(up.code, 0, up.stderr);
      // An approval is an SSH signature: the reviewer's own key, made here, outside SLIPWAY_HOME.
      const keyDir = mkdtempSync(join(tmpdir(), 'slipway-reviewer-key-'));
      const key = join(keyDir, 'id_ed25519');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'reviewer@slipway.test', '-f', key]);
      const approve = await runCli(
        [
          'approve',
          '--spec',
          SHOP_SPEC,
          '--from',
          branch,
          '--to',
          'staging',
          '--as',
          'reviewer@slipway.test',
          '--key',
          key,
        ],
        home,
        undefined,
        ME,
      );
      removeDir(keyDir);
      assert.equal(approve.code, 0, approve.stderr);
      assert.equal(mode(home), 0o700);
      // Pulumi's own files (state, its home, the project folder) and the node launcher (0700, run by Pulumi) aside.
      const ours = filesUnder(home, ['state', 'pulumi', 'work', 'runtime']);
      for (const expected of [
        'passphrase',
        join('envs', PROJECT, `${envNames(PROJECT, branch).env}.json`),
        join('audit', `${PROJECT}.jsonl`),
        join('approvals', PROJECT, `${envNames(PROJECT, branch).env}.jsonl`),
      ]) {
        assert.ok(ours.includes(expected), `${expected} not among ${ours.join(', ')}`);
      }
      const loose = ours
        .filter((f) => mode(join(home, f)) !== 0o600)
        .map((f) => `${relative(home, join(home, f))} ${mode(join(home, f)).toString(8)}`);
      assert.deepEqual(loose, []);
      // In runtime/: the node launcher Pulumi runs (0700), and the serialized provider it reads (0600).
      for (const file of filesUnder(join(home, 'runtime'), []))
        assert.equal(mode(join(home, 'runtime', file)), /^provider-.*\.js$/.test(file) ? 0o600 : 0o700, file);
    });
  });
});
