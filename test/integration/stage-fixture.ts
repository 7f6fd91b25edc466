/**
 * A pipeline stage on a second Docker engine, set up for integration tests: the engines checked,
 * a second dockerd with TLS started (./second-engine.ts), a git repository holding a small app and
 * its slipway.yaml committed on main and branched, a SLIPWAY_HOME, the CLI bound to them, and one
 * teardown that brings the branch and the stages down, stops the engine, removes every folder and
 * checks that the first engine still builds.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { docker, removeDir, requireEngines, runCli, tempHome, type CliResult } from './helpers';
import { firstEngineBuilds, startSecondEngine, type SecondEngine } from './second-engine';

/** The base image every app here builds on. */
export const BASE_IMAGE = 'slipway/busybox:local';

/** One web service on busybox's httpd, healthy at /health, answering v1 at /index.html. */
export const WEB_APP = {
  services: ['  web:', '    build: .', '    ports: [8080]', '    healthcheck: { http: /health, timeout: 60s }'],
  files: {
    Dockerfile: `FROM ${BASE_IMAGE}\nRUN mkdir /www && echo ok > /www/health && echo v1 > /www/index.html\nCMD ["httpd", "-f", "-v", "-p", "8080", "-h", "/www"]\n`,
  },
};

/** An environment as `slipway list --json` shows it. */
export interface ListedEnv {
  branch: string;
  status: string;
  urls: Record<string, string>;
  dockerHost?: string;
  services: Array<{ service: string; state: string; health: string }>;
}

export interface StageAppOptions {
  /** Prefix of the engine's and the folders' names. */
  prefix: string;
  project: string;
  branch: string;
  /** The `services:` entries of slipway.yaml (indented two spaces). */
  services: string[];
  /** The stages after `preview` (indented four spaces), given the engine they may name. */
  stages: (engine: SecondEngine) => string[];
  /** The app's files, by path in the app folder (a Dockerfile at least). */
  files: Record<string, string>;
  /** Run on the engine before the app is made (a Swarm init). */
  prepare?: (engine: SecondEngine) => void | Promise<void>;
  /** Environment of every CLI run. */
  env?: NodeJS.ProcessEnv;
  cliTimeoutMs?: number;
}

export interface StageApp {
  engine: SecondEngine;
  app: string;
  home: string;
  specFile: string;
  /** git in the app's folder, as the developer `dev@corp.test`. */
  git(...args: string[]): Buffer;
  /** The CLI with `--spec` of the app and the app's SLIPWAY_HOME. */
  cli(...args: string[]): Promise<CliResult>;
  /** Brings the branch and `stages` down, stops the engine, removes the folders, checks the first engine. */
  teardown(stages: string[]): Promise<void>;
}

/** Sets it all up; anything already started is undone when a later step fails. */
export async function startStageApp(opts: StageAppOptions): Promise<StageApp> {
  await requireEngines();
  await docker
    .getImage(BASE_IMAGE)
    .inspect()
    .catch(() => assert.fail(`the base image ${BASE_IMAGE} is missing: run \`npm run setup\` first`));
  const engine = await startSecondEngine(`${opts.prefix}-engine`);
  const root = tempHome(`${opts.prefix}-app`);
  const home = tempHome(opts.prefix);
  const app = join(root, 'app');
  const specFile = join(app, 'slipway.yaml');
  const cli = (...args: string[]) =>
    runCli([...args, '--spec', specFile], home, opts.cliTimeoutMs ?? 600_000, opts.env);
  const git = (...args: string[]) =>
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
  let made = false;
  const teardown = async (stages: string[]) => {
    try {
      if (made) {
        await cli('down', '--branch', opts.branch);
        for (const stage of stages) await cli('down', '--stage', stage);
      }
    } finally {
      await engine.stop();
      removeDir(root);
      removeDir(home);
    }
    firstEngineBuilds();
  };
  try {
    await opts.prepare?.(engine);
    mkdirSync(app);
    const spec = ['version: 1', `name: ${opts.project}`, 'services:', ...opts.services];
    writeFileSync(
      specFile,
      [...spec, 'pipeline:', '  stages:', '    - preview', ...opts.stages(engine), ''].join('\n'),
    );
    for (const [file, text] of Object.entries(opts.files)) {
      mkdirSync(dirname(join(app, file)), { recursive: true });
      writeFileSync(join(app, file), text);
    }
    // The gate rules come from the default branch: the spec is committed there, then branched.
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'app');
    git('checkout', '-q', '-b', opts.branch);
    made = true;
  } catch (err) {
    await teardown([]);
    throw err;
  }
  return { engine, app, home, specFile, git, cli, teardown };
}
