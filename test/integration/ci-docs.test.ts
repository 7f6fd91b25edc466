/**
 * docs/ci.md's GitHub Actions workflow and GitLab CI job, run as written: each `run:` / `script:`
 * line in bash, on a detached-HEAD checkout with the CI's variables set, the packed Slipway
 * installed from the tarball, and a fake of the GitHub / GitLab API on 127.0.0.1 (the only part
 * that is not the real thing) recording the comment with the preview's link.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { ROOT, RUN, getStatus, git, labelled, removeDir, requireEngines, stackFileExists, tempHome } from './helpers';

const docs = readFileSync(join(ROOT, 'docs', 'ci.md'), 'utf8');
const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]) as Record<string, unknown>);

interface Step {
  run?: string;
  env?: Record<string, string>;
  id?: string;
}

function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** A fake of the comment endpoints: records each POST's path and body. */
function fakeApi(): Promise<{
  server: Server;
  url: string;
  posts: Array<{ path: string; body: string; auth: string }>;
}> {
  const posts: Array<{ path: string; body: string; auth: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      posts.push({
        path: req.url ?? '',
        body,
        auth: String(req.headers.authorization ?? req.headers['private-token'] ?? ''),
      });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":1}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, posts }),
    ),
  );
}

describe('docs/ci.md, run as written', function () {
  this.timeout(15 * 60_000);
  let project: string;
  let prefix: string;
  const dirs: string[] = [];

  before(async () => {
    await requireEngines();
    if (!existsSync(join(ROOT, 'dist', 'extension', 'slipway.js')))
      throw new Error('the packed CLI (dist/extension/slipway.js) is missing: run `npm run build`.');
    assert.equal(blocks.length, 2, 'docs/ci.md should hold the GitHub workflow and the GitLab job');
    project = mkdtempSync(join(tmpdir(), 'slipway-ci-docs-'));
    prefix = mkdtempSync(join(tmpdir(), 'slipway-ci-prefix-'));
    dirs.push(project, prefix);
    mkdirSync(join(project, 'tools'));
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.ok(docs.includes(`./tools/slipway-${version}.tgz`), `docs/ci.md should install slipway-${version}.tgz`);
    const packed = await bash(
      `npm pack --ignore-scripts --pack-destination '${join(project, 'tools')}'`,
      ROOT,
      process.env,
    );
    assert.equal(packed.code, 0, packed.out);
    writeFileSync(
      join(project, 'slipway.yaml'),
      [
        'version: 1',
        'name: ci-docs',
        'services:',
        '  web:',
        '    image: slipway/busybox:local',
        '    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"]',
        '    ports: [8080]',
        '    healthcheck: { http: /healthz }',
        'pipeline:',
        '  stages: [preview, { name: staging, gates: [health] }]',
        '',
      ].join('\n'),
    );
    git(['init', '-q', '-b', 'main'], project);
    git(['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'add', '-A'], project);
    git(['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'app'], project);
    git(['checkout', '-q', '--detach'], project);
  });
  after(() => dirs.forEach(removeDir));

  /** The environment of a CI job: the installed slipway first on PATH, a private state folder. */
  function jobEnv(home: string, vars: Record<string, string>): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH}`,
      npm_config_prefix: prefix,
      SLIPWAY_HOME: home,
      ...vars,
    };
  }

  async function assertGone(branch: string, home: string): Promise<void> {
    const left = await labelled('ci-docs', branch);
    assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);
    assert.equal(stackFileExists(home, 'ci-docs', branch), false);
  }

  it('the GitHub Actions workflow previews the pull request branch, comments its link, runs the gates and tears down on close', async () => {
    const api = await fakeApi();
    const branch = `feature/gh-${RUN}`;
    const home = tempHome('ci-gh');
    dirs.push(home);
    const output = join(home, 'github-output');
    writeFileSync(output, '');
    const vars = {
      GITHUB_HEAD_REF: branch,
      GITHUB_REF_NAME: '7/merge',
      GITHUB_REF: 'refs/pull/7/merge',
      GITHUB_OUTPUT: output,
      GITHUB_API_URL: api.url,
      GITHUB_REPOSITORY: 'acme/app',
    };
    const outputs = () =>
      Object.fromEntries(
        readFileSync(output, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    /** `${{ ... }}` expressions of the workflow, as GitHub would fill them for pull request 7. */
    const expr = (text: string) =>
      text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, e: string) => {
        if (e === 'github.token') return 'test-token';
        if (e === 'github.event.pull_request.number') return '7';
        if (e.startsWith('steps.preview.outputs.')) return outputs()[e.slice('steps.preview.outputs.'.length)] ?? '';
        throw new Error(`the test does not know the expression ${e}`);
      });
    const jobs = blocks[0].jobs as Record<string, { steps: Step[] }>;
    const runJob = async (name: string) => {
      for (const step of jobs[name].steps.filter((s) => s.run)) {
        const env = jobEnv(home, {
          ...vars,
          ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expr(String(v))])),
        });
        const r = await bash(step.run!, project, env);
        assert.equal(r.code, 0, `${name} step failed:\n${step.run}\n${r.out}`);
      }
    };
    try {
      await runJob('preview');
      const url = outputs().url;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(await getStatus(`${url}/healthz`), 200);
      assert.deepEqual(
        api.posts.map((p) => [p.path, JSON.parse(p.body).body, p.auth]),
        [['/repos/acme/app/issues/7/comments', `Preview of ${branch}: ${url}`, 'Bearer test-token']],
      );
      assert.ok(
        (await labelled('ci-docs', branch)).containers.length > 0,
        'the preview is not of the pull request branch',
      );
    } finally {
      await runJob('teardown');
      api.server.close();
    }
    await assertGone(branch, home);
  });

  it('the GitLab CI job previews the merge request branch, comments its link, runs the gates, and its stop job tears down', async () => {
    const api = await fakeApi();
    const branch = `feature/gl-${RUN}`;
    const home = tempHome('ci-gl');
    dirs.push(home);
    const vars = {
      CI_PIPELINE_SOURCE: 'merge_request_event',
      CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: branch,
      CI_COMMIT_REF_NAME: branch,
      CI_API_V4_URL: `${api.url}/api/v4`,
      CI_PROJECT_ID: '42',
      CI_MERGE_REQUEST_IID: '7',
      GITLAB_TOKEN: 'test-token',
    };
    const job = (name: string) => (blocks[1][name] as { script: string[] }).script.join('\n');
    try {
      const r = await bash(job('preview'), project, jobEnv(home, vars));
      assert.equal(r.code, 0, r.out);
      const [post] = api.posts;
      assert.equal(post.path, '/api/v4/projects/42/merge_requests/7/notes');
      assert.equal(post.auth, 'test-token');
      const body = new URLSearchParams(post.body).get('body') ?? '';
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(body)?.[0];
      assert.equal(body, `Preview of ${branch}: ${url}`);
      assert.equal(await getStatus(`${url}/healthz`), 200);
    } finally {
      const stop = await bash(job('preview-stop'), project, jobEnv(home, vars));
      assert.equal(stop.code, 0, stop.out);
      api.server.close();
    }
    await assertGone(branch, home);
  });
});
