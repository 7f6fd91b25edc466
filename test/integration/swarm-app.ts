/**
 * The fixture of the Swarm stage tests: a one-node Swarm (`docker swarm init --advertise-addr
 * 127.0.0.1`) on a second dockerd in this host's network namespace, with TLS on 127.0.0.1, the
 * address its URLs name (one such daemon on the host at a time: ./second-engine.ts), and a busybox web app in a git repository of its own (committed on `main`, a branch checked
 * out) whose spec has a Swarm stage on it. `tearDown()` takes down the branch and the stage, stops
 * the daemon, removes the folders and checks that the first engine still builds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { docker, removeDir, requireEngines, runCli, tempHome, type CliResult } from './helpers';
import { firstEngineBuilds, startSecondEngine, type SecondEngine } from './second-engine';

export interface SwarmApp {
  engine: SecondEngine;
  app: string;
  home: string;
  specFile: string;
  /** git in the app's repository, as dev@corp.test. */
  git(...args: string[]): void;
  /** The CLI with the app's spec and home. */
  cli(...args: string[]): Promise<CliResult>;
}

/**
 * Starts the Swarm and writes the app: `spec(engine)` gives the spec's lines (the stage's
 * `dockerHost` and `tls` from the engine), `files` the app's files by relative path. Fails saying
 * why when an engine or the base image is missing.
 */
export async function startSwarmApp(
  prefix: string,
  branch: string,
  spec: (engine: SecondEngine) => string[],
  files: Record<string, string>,
  env: NodeJS.ProcessEnv = {},
): Promise<SwarmApp> {
  await requireEngines();
  await docker
    .getImage('slipway/busybox:local')
    .inspect()
    .catch(() => assert.fail('the base image slipway/busybox:local is missing: run `npm run setup` first'));
  // One Swarm daemon on the host at a time (its docker_gwbridge is one per host): concurrent runs wait.
  const engine = await startSecondEngine(`${prefix}-engine`, { swarm: true });
  const root = tempHome(`${prefix}-app`);
  const home = tempHome(prefix);
  try {
    return writeApp(engine, root, home, branch, spec, files, env);
  } catch (err) {
    await engine.stop();
    removeDir(root);
    removeDir(home);
    throw err;
  }
}

function writeApp(
  engine: SecondEngine,
  root: string,
  home: string,
  branch: string,
  spec: (engine: SecondEngine) => string[],
  files: Record<string, string>,
  env: NodeJS.ProcessEnv,
): SwarmApp {
  engine.cli([
    'swarm',
    'init',
    '--advertise-addr',
    engine.address,
    '--default-addr-pool',
    engine.pool,
    '--default-addr-pool-mask-length',
    '24',
  ]);
  const app = join(root, 'app');
  const specFile = join(app, 'slipway.yaml');
  for (const [path, text] of Object.entries({ 'slipway.yaml': [...spec(engine), ''].join('\n'), ...files })) {
    mkdirSync(dirname(join(app, path)), { recursive: true });
    writeFileSync(join(app, path), text);
  }
  const git = (...args: string[]) => {
    execFileSync('git', args, {
      cwd: app,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'dev',
        GIT_AUTHOR_EMAIL: 'dev@corp.test',
        GIT_COMMITTER_NAME: 'dev',
        GIT_COMMITTER_EMAIL: 'dev@corp.test',
      },
    });
  };
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'app');
  git('checkout', '-q', '-b', branch);
  const cli = (...args: string[]) => runCli([...args, '--spec', specFile], home, 900_000, env);
  return { engine, app, home, specFile, git, cli };
}

/** The spec's `pipeline:` lines: `preview`, then the Swarm stage `cluster` on the engine with these settings. */
export function clusterPipeline(engine: SecondEngine, settings: string[]): string[] {
  return [
    'pipeline:',
    '  stages:',
    '    - preview',
    '    - name: cluster',
    `      dockerHost: ${engine.tcp}`,
    `      tls: { certPath: ${engine.certPath} }`,
    '      orchestrator: swarm',
    ...settings.map((l) => `      ${l}`),
  ];
}

/** Takes the branch and the stage down, stops the daemon, removes the folders; then the first engine must still build. */
export async function tearDownSwarmApp(fixture: SwarmApp | undefined, branch: string, stage: string): Promise<void> {
  if (!fixture) return;
  try {
    await fixture.cli('down', '--branch', branch);
    await fixture.cli('down', '--stage', stage);
  } finally {
    await fixture.engine.stop();
    removeDir(dirname(fixture.app));
    removeDir(fixture.home);
  }
  firstEngineBuilds();
}
