import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError, SpecError, type SpecIssue } from '../../environments/errors';
import { loadSpec, parseSpec, renderTemplate } from '../../environments/spec/load';
import type { PipelineSpec, Spec } from '../../environments/spec/types';

/** YAML text from lines, so that line and column numbers in the tests are easy to read. */
const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

/** `line:column-endLine:endColumn` of an issue. */
const where = (i: SpecIssue): string => `${i.line}:${i.column}-${i.endLine}:${i.endColumn}`;

const HEADER = ['version: 1', 'name: shop', 'services:'];

const EXAMPLE = yaml(
  ...HEADER,
  '  web:',
  '    build: .',
  '    ports: [8080]',
  '    env:',
  '      DATABASE_URL: ${{ databases.db.url }}',
  '      GREETING: hello',
  '    healthcheck:',
  '      http: /healthz',
  '      timeout: 90s',
  '    resources: { cpus: 0.5, memory: 256Mi }',
  'databases:',
  '  db:',
  '    engine: postgres',
  '    version: "15"',
);

describe('slipway.yaml v1', () => {
  let dir: string;
  let file: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-spec-'));
    file = join(dir, 'slipway.yaml');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
    mkdirSync(join(dir, 'api'));
    writeFileSync(join(dir, 'api', 'Dev.Dockerfile'), 'FROM scratch\n');
    mkdirSync(join(dir, 'empty'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The issues parseSpec reports for `text`; fails if it does not throw a SpecError. */
  function issuesOf(text: string): SpecIssue[] {
    try {
      parseSpec(text, file);
    } catch (err) {
      assert.ok(SpecError.is(err), `expected a SpecError, got ${String(err)}`);
      assert.ok(err.issues.every((i) => i.file === file));
      return err.issues;
    }
    assert.fail('expected the spec to be rejected');
  }

  /** The only issue reported for `text`. */
  function issueOf(text: string): SpecIssue {
    const issues = issuesOf(text);
    assert.equal(issues.length, 1, issues.map((i) => `${where(i)} ${i.field}: ${i.message}`).join('\n'));
    return issues[0];
  }

  describe('a valid spec', () => {
    it('parses the example into the normalized shape', () => {
      const expected: Spec = {
        version: 1,
        name: 'shop',
        file,
        dir,
        services: [
          {
            name: 'web',
            build: { context: dir, dockerfile: 'Dockerfile' },
            ports: [8080],
            env: {
              DATABASE_URL: [{ ref: { kind: 'databases', name: 'db', attr: 'url' } }],
              GREETING: ['hello'],
            },
            healthcheck: { http: { path: '/healthz', port: 8080 }, intervalMs: 1000, timeoutMs: 90_000 },
            resources: { cpus: 0.5, memoryBytes: 256 * 1024 * 1024 },
            dependsOn: { services: [], databases: ['db'] },
          },
        ],
        databases: [
          {
            name: 'db',
            engine: 'postgres',
            version: '15',
            image: 'slipway/postgres:15',
            database: 'db',
            user: 'app',
            resources: {},
          },
        ],
      };
      assert.deepStrictEqual(parseSpec(EXAMPLE, file), expected);
    });

    it('applies defaults and normalizes every alternative form', () => {
      const spec = parseSpec(
        yaml(
          ...HEADER,
          '  api:',
          '    build: { context: api, dockerfile: Dev.Dockerfile }',
          '    command: node server.js',
          '    ports: [9000, 9001]',
          '    env:',
          '      PORT: 9000',
          '      RATIO: 1.10',
          '      DEBUG: true',
          '      EMPTY: ""',
          '      MIXED: "postgres://${{databases.db.user}}@${{ databases.db.host }}:5432/$HOME"',
          '    healthcheck: { http: { path: /ready, port: 9001 }, interval: 250ms }',
          '  web:',
          '    image: slipway/busybox:local',
          '    command: [httpd, -f]',
          '    env: { API: "${{ services.api.url }}" }',
          '    healthcheck: { command: [wget, -q, localhost], interval: 1.5s, timeout: 2m }',
          '    resources: { memory: 1048576 }',
          'databases:',
          '  db: { engine: postgres, version: 16.10, image: my/pg:16, database: shop, user: owner }',
          'data: { users: { mask: [email] } }',
        ),
        file,
      );
      const [api, web] = spec.services;
      assert.deepStrictEqual(api, {
        name: 'api',
        build: { context: join(dir, 'api'), dockerfile: 'Dev.Dockerfile' },
        command: ['sh', '-c', 'node server.js'],
        ports: [9000, 9001],
        env: {
          PORT: ['9000'],
          RATIO: ['1.10'],
          DEBUG: ['true'],
          EMPTY: [],
          MIXED: [
            'postgres://',
            { ref: { kind: 'databases', name: 'db', attr: 'user' } },
            '@',
            { ref: { kind: 'databases', name: 'db', attr: 'host' } },
            ':5432/$HOME',
          ],
        },
        healthcheck: { http: { path: '/ready', port: 9001 }, intervalMs: 250, timeoutMs: 60_000 },
        resources: {},
        dependsOn: { services: [], databases: ['db'] },
      });
      assert.deepStrictEqual(web, {
        name: 'web',
        image: 'slipway/busybox:local',
        command: ['httpd', '-f'],
        ports: [],
        env: { API: [{ ref: { kind: 'services', name: 'api', attr: 'url' } }] },
        healthcheck: { command: ['wget', '-q', 'localhost'], intervalMs: 1500, timeoutMs: 120_000 },
        resources: { memoryBytes: 1048576 },
        dependsOn: { services: ['api'], databases: [] },
      });
      assert.deepStrictEqual(spec.databases, [
        {
          name: 'db',
          engine: 'postgres',
          version: '16.10',
          image: 'my/pg:16',
          database: 'shop',
          user: 'owner',
          resources: {},
        },
      ]);
      assert.deepStrictEqual(spec.data, { users: { mask: ['email'] } });
      assert.equal('mocks' in spec, false);
    });

    it('turns memory sizes into bytes (binary units) and durations into milliseconds', () => {
      const cases: Array<[string, number, string, number]> = [
        ['512', 512, '1ms', 1],
        ['2K', 2048, '250ms', 250],
        ['2Ki', 2048, '1s', 1000],
        ['3M', 3 * 1024 ** 2, '0.5s', 500],
        ['256Mi', 256 * 1024 ** 2, '90s', 90_000],
        ['1G', 1024 ** 3, '2m', 120_000],
        ['2Gi', 2 * 1024 ** 3, '1.25m', 75_000],
      ];
      for (const [memory, bytes, duration, ms] of cases) {
        const spec = parseSpec(
          yaml(
            ...HEADER,
            '  web:',
            '    image: x',
            `    resources: { memory: ${memory} }`,
            `    healthcheck: { command: [check], interval: ${duration}, timeout: ${duration} }`,
          ),
          file,
        );
        const [web] = spec.services;
        assert.equal(web.resources.memoryBytes, bytes, memory);
        assert.equal(web.healthcheck?.intervalMs, ms, duration);
        assert.equal(web.healthcheck?.timeoutMs, ms, duration);
      }
    });

    it('accepts a database version written as a number', () => {
      const text = yaml(...HEADER, '  web: { image: x }', 'databases:', '  db: { engine: postgres, version: 15 }');
      const spec = parseSpec(text, file);
      assert.equal(spec.databases[0].version, '15');
      assert.equal(spec.databases[0].image, 'slipway/postgres:15');
    });

    it('keeps services and databases in declaration order', () => {
      const spec = parseSpec(
        yaml(
          ...HEADER,
          '  zeta: { image: x }',
          '  alpha: { image: x }',
          'databases:',
          '  zdb: { engine: postgres, version: "15" }',
          '  adb: { engine: postgres, version: "15" }',
        ),
        file,
      );
      assert.deepStrictEqual(
        spec.services.map((s) => s.name),
        ['zeta', 'alpha'],
      );
      assert.deepStrictEqual(
        spec.databases.map((d) => d.name),
        ['zdb', 'adb'],
      );
    });
  });

  describe('issues', () => {
    it('points an unknown field at its key and lists the allowed fields', () => {
      const issue = issueOf(yaml(...HEADER, '  web:', '    build: .', '    prots: [8080]'));
      assert.equal(where(issue), '6:5-6:10');
      assert.equal(issue.field, 'services.web.prots');
      assert.equal(
        issue.message,
        'unknown field "prots" (allowed: build, image, command, entrypoint, user, working_dir, ports, env, env_file, secrets, volumes, depends_on, healthcheck, resources, job)',
      );
    });

    it('points a value of the wrong type at the value', () => {
      const issues = issuesOf(
        yaml(...HEADER, '  web:', '    build: .', '    ports: [8080, 70000, "80"]', '    env: [A]'),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          ['6:19-6:24', 'services.web.ports[1]', 'must be an integer between 1 and 65535'],
          ['6:26-6:30', 'services.web.ports[2]', 'must be an integer between 1 and 65535'],
          ['7:10-7:13', 'services.web.env', 'must be a mapping from variable name to value'],
        ],
      );
    });

    it('points a wrong type in an empty value at its key', () => {
      const issue = issueOf(yaml(...HEADER, '  web:', '    image: x', '    ports:'));
      assert.equal(where(issue), '6:5-6:10');
      assert.equal(issue.field, 'services.web.ports');
      assert.equal(issue.message, 'must be a list of port numbers, e.g. [8080]');
    });

    it('reports a port listed twice at the second one', () => {
      const issue = issueOf(yaml(...HEADER, '  web:', '    image: x', '    ports: [8080, 9000, 8080]'));
      assert.equal(where(issue), '6:25-6:29');
      assert.equal(issue.field, 'services.web.ports[2]');
      assert.equal(issue.message, '8080 is listed twice (also at services.web.ports[0])');
    });

    it('reports an invalid memory size or duration at the value', () => {
      const issues = issuesOf(
        yaml(
          ...HEADER,
          '  web:',
          '    image: x',
          '    resources: { memory: 1GB, cpus: 0 }',
          '    healthcheck: { command: [check], interval: 1w }',
        ),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          [
            '6:26-6:29',
            'services.web.resources.memory',
            'must be a memory size such as 256Mi, 1Gi or a number of bytes',
          ],
          ['6:37-6:38', 'services.web.resources.cpus', 'must be a number of CPUs greater than 0, e.g. 0.5'],
          ['7:48-7:50', 'services.web.healthcheck.interval', 'must be a duration such as 500ms, 1s, 1.5s, 2m or 1h'],
        ],
      );
    });

    it('points a reference to an undeclared database at the env value', () => {
      const text = EXAMPLE.replace('databases.db.url', 'databases.dbb.url');
      const issue = issueOf(text);
      assert.equal(where(issue), '8:21-8:45');
      assert.equal(issue.field, 'services.web.env.DATABASE_URL');
      assert.equal(
        issue.message,
        '${{ databases.dbb.url }}: refers to database "dbb", which is not declared (declared: db)',
      );
    });

    it('reports malformed references, unknown attributes and services without ports', () => {
      const issues = issuesOf(
        yaml(
          ...HEADER,
          '  web:',
          '    image: x',
          '    ports: [80]',
          '    env:',
          '      A: ${{ databases.db.uri }}',
          '      B: ${{ db.url }} and ${{ services.worker.url }}',
          '      C: "${{ services.web.url"',
          '      D: ${{ services.web.url }}',
          '      E: ${{ services.ghost.host }}',
          '  worker:',
          '    image: x',
          'databases:',
          '  db: { engine: postgres, version: "15" }',
        ),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          [
            '8:10-8:33',
            'services.web.env.A',
            '${{ databases.db.uri }}: a database has no attribute "uri" (use one of: url, host, port, user, password, name)',
          ],
          [
            '9:10-9:54',
            'services.web.env.B',
            '"${{ db.url }}" is not a reference: write ${{ databases.<name>.<attribute> }}, ${{ services.<name>.<attribute> }} or ${{ mocks.<name>.url }}',
          ],
          [
            '9:10-9:54',
            'services.web.env.B',
            '${{ services.worker.url }}: service "worker" has no ports, so it has no url; add ports to it',
          ],
          ['10:10-10:32', 'services.web.env.C', '"${{" is never closed: end the reference with "}}"'],
          ['11:10-11:33', 'services.web.env.D', '${{ services.web.url }}: a service cannot refer to its own url'],
          [
            '12:10-12:36',
            'services.web.env.E',
            '${{ services.ghost.host }}: refers to service "ghost", which is not declared (declared: web, worker)',
          ],
        ],
      );
    });

    it('reports a reference cycle between services once', () => {
      const issue = issueOf(
        yaml(
          ...HEADER,
          '  web:',
          '    image: x',
          '    ports: [80]',
          '    env: { API: "${{ services.api.url }}" }',
          '  api:',
          '    image: x',
          '    ports: [81]',
          '    env: { WEB: "${{ services.web.host }}" }',
        ),
      );
      assert.equal(where(issue), '7:17-7:42');
      assert.equal(issue.field, 'services.web.env.API');
      assert.match(issue.message, /^reference cycle between services: web -> api -> web /);
    });

    it('points a missing required field at the key of the mapping that lacks it', () => {
      const issues = issuesOf(
        yaml(...HEADER, '  web:', '    ports: [80]', 'databases:', '  db:', '    engine: postgres'),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          ['4:3-4:6', 'services.web', 'missing "build" or "image" (set exactly one)'],
          ['7:3-7:5', 'databases.db', 'missing required field "version"'],
        ],
      );
    });

    it('points a missing top-level field at the first line', () => {
      const issue = issueOf(yaml('version: 1', 'name: shop'));
      assert.equal(where(issue), '1:1-1:11');
      assert.equal(issue.field, '');
      assert.equal(issue.message, 'missing required field "services"');
    });

    it('reports build and image set together at the second one', () => {
      const issue = issueOf(yaml(...HEADER, '  web:', '    build: .', '    image: x'));
      assert.equal(where(issue), '6:5-6:10');
      assert.equal(issue.field, 'services.web.image');
      assert.equal(issue.message, 'set only one of "build" or "image"');
    });

    it('reports invalid names at their keys', () => {
      const issues = issuesOf(
        yaml(...HEADER, '  Web:', '    image: x', '  web:', '    image: x', '    env: { 1A: x }'),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          [
            '4:3-4:6',
            'services.Web',
            'invalid service name "Web": use a lowercase letter, then up to 30 lowercase letters, digits or \'-\'',
          ],
          [
            '8:12-8:14',
            'services.web.env["1A"]',
            'invalid variable name "1A": use letters, digits and \'_\', not starting with a digit',
          ],
        ],
      );
    });

    it('reports a YAML syntax error with its position', () => {
      const issue = issueOf(yaml(...HEADER, '  web:', '    image: x', '    ports: [8080', 'databases: {}'));
      assert.equal(where(issue), '7:1-7:2');
      assert.match(issue.message, /^YAML syntax error: /);
    });

    it('reports a duplicate key at its second definition', () => {
      const issue = issueOf(yaml(...HEADER, '  web:', '    image: x', '  web:', '    image: y'));
      assert.equal(where(issue), '6:3-6:6');
      assert.equal(issue.field, 'services.web');
      assert.equal(issue.message, 'duplicate key "web" (first defined on line 4); keep only one');
    });

    it('reports a database named like a service', () => {
      const issue = issueOf(
        yaml(...HEADER, '  db:', '    image: x', 'databases:', '  db: { engine: postgres, version: "15" }'),
      );
      assert.equal(where(issue), '7:3-7:5');
      assert.equal(issue.field, 'databases.db');
      assert.equal(
        issue.message,
        'name "db" is already used by a service; services and databases need different names',
      );
    });

    it('reports a missing build context or Dockerfile at the build value', () => {
      const issues = issuesOf(
        yaml(
          ...HEADER,
          '  web:',
          '    build: ./nope',
          '  api:',
          '    build: empty',
          '  worker:',
          '    build: { context: api, dockerfile: Prod.Dockerfile }',
        ),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          ['5:12-5:18', 'services.web.build', `build context "./nope" not found: ${join(dir, 'nope')} does not exist`],
          [
            '7:12-7:17',
            'services.api.build',
            `no Dockerfile in build context "empty": ${join(dir, 'empty', 'Dockerfile')} does not exist`,
          ],
          [
            '9:40-9:55',
            'services.worker.build.dockerfile',
            `no Prod.Dockerfile in build context "api": ${join(dir, 'api', 'Prod.Dockerfile')} does not exist`,
          ],
        ],
      );
    });

    it('requires a port for an http health check', () => {
      const issues = issuesOf(
        yaml(
          ...HEADER,
          '  web:',
          '    image: x',
          '    healthcheck: { http: /healthz }',
          '  api:',
          '    image: x',
          '    ports: [80]',
          '    healthcheck: { http: { path: /, port: 81 } }',
        ),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          [
            '6:26-6:34',
            'services.web.healthcheck.http',
            "an http health check probes the service's first port, but it has no ports; add ports, or use a command health check",
          ],
          [
            '10:43-10:45',
            'services.api.healthcheck.http.port',
            "port 81 is not one of the service's ports (its ports are 80)",
          ],
        ],
      );
    });

    it('reports every issue at once, in source order', () => {
      const issues = issuesOf(
        yaml(
          'version: 2',
          'name: shop',
          'services:',
          '  web:',
          '    build: .',
          '    prots: [1]',
          '    env: { A: "${{ databases.x.url }}" }',
        ),
      );
      assert.deepStrictEqual(
        issues.map((i) => `${where(i)} ${i.field}`),
        ['1:10-1:11 version', '6:5-6:10 services.web.prots', '7:15-7:39 services.web.env.A'],
      );
    });

    it('never throws anything but a SpecError for bad input', () => {
      const inputs = [
        '',
        '# nothing',
        '- a list',
        'just text',
        'a: *missing',
        'a: &x [*x]',
        '{',
        'services: !!binary aGk=',
      ];
      for (const text of inputs) assert.ok(issuesOf(text).length > 0, JSON.stringify(text));
    });
  });

  describe('pipeline', () => {
    const STAGES = [...HEADER, '  web: { image: x }', 'pipeline:', '  stages:'];

    it('normalizes stages and gates, with defaults and paths made absolute', () => {
      const spec = parseSpec(
        yaml(
          ...STAGES,
          '    - preview',
          '    - name: staging',
          '      dockerHost: unix:///var/run/docker.sock',
          '      gates:',
          '        - health',
          '        - drift',
          '        - command: { name: tests, run: "npm test", timeout: 10m, cwd: . }',
          '        - command: { run: make lint, cwd: api }',
          '        - vulnerabilities: { report: audit.json, maxSeverity: high }',
          '        - vulnerabilities: { name: audit }',
          '        - licenses: { allow: [MIT, ISC], deny: [GPL-3.0, AGPL-3.0], cwd: . }',
          '        - coverage: { summary: coverage/coverage-summary.json, min: 80, metric: lines }',
          '        - coverage: { name: branch-coverage, min: 60.5, metric: branches }',
          '        - approval: { count: 2 }',
          '        - window: { timezone: Europe/Berlin, allow: ["Mon-Fri 09:00-17:00"], freeze: [{ from: "2026-12-20T00:00", to: "2027-01-02T00:00", reason: holidays }] }',
          '        - checks: { repository: owner/name, apiUrl: https://api.github.com, tokenEnv: GITHUB_TOKEN, required: [test] }',
          '    - name: production',
          '      dockerHost: ssh://deploy@prod.example.com',
          '      gates: [health, drift, { approval: { count: 2 } }, { checks: { repository: owner/name, apiUrl: "https://ghe.example.com/api/v3/" } }]',
        ),
        file,
      );
      const expected: PipelineSpec = {
        stages: [
          { name: 'preview', gates: [] },
          {
            name: 'staging',
            dockerHost: 'unix:///var/run/docker.sock',
            gates: [
              { kind: 'health', name: 'health' },
              { kind: 'drift', name: 'drift' },
              { kind: 'command', name: 'tests', run: 'npm test', timeoutMs: 600_000, cwd: dir },
              { kind: 'command', name: 'command', run: 'make lint', timeoutMs: 600_000, cwd: join(dir, 'api') },
              {
                kind: 'vulnerabilities',
                name: 'vulnerabilities',
                report: join(dir, 'audit.json'),
                maxSeverity: 'high',
              },
              { kind: 'vulnerabilities', name: 'audit', maxSeverity: 'high' },
              { kind: 'licenses', name: 'licenses', allow: ['MIT', 'ISC'], deny: ['GPL-3.0', 'AGPL-3.0'], cwd: dir },
              {
                kind: 'coverage',
                name: 'coverage',
                summary: join(dir, 'coverage', 'coverage-summary.json'),
                min: 80,
                metric: 'lines',
              },
              {
                kind: 'coverage',
                name: 'branch-coverage',
                summary: join(dir, 'coverage', 'coverage-summary.json'),
                min: 60.5,
                metric: 'branches',
              },
              { kind: 'approval', name: 'approval', count: 2, allowedSigners: join(dir, 'allowed_signers') },
              {
                kind: 'window',
                name: 'window',
                timezone: 'Europe/Berlin',
                allow: ['Mon-Fri 09:00-17:00'],
                freeze: [{ from: '2026-12-20T00:00', to: '2027-01-02T00:00', reason: 'holidays' }],
              },
              {
                kind: 'checks',
                name: 'checks',
                repository: 'owner/name',
                apiUrl: 'https://api.github.com',
                tokenEnv: 'GITHUB_TOKEN',
                required: ['test'],
              },
            ],
          },
          {
            name: 'production',
            dockerHost: 'ssh://deploy@prod.example.com',
            gates: [
              { kind: 'health', name: 'health' },
              { kind: 'drift', name: 'drift' },
              { kind: 'approval', name: 'approval', count: 2, allowedSigners: join(dir, 'allowed_signers') },
              {
                kind: 'checks',
                name: 'checks',
                repository: 'owner/name',
                apiUrl: 'https://ghe.example.com/api/v3',
                tokenEnv: 'GITHUB_TOKEN',
                required: [],
              },
            ],
          },
        ],
      };
      assert.deepStrictEqual(spec.pipeline, expected);
    });

    it('applies the defaults of bare gate kinds', () => {
      const spec = parseSpec(
        yaml(...STAGES, '    - preview', '    - name: staging', '      gates: [vulnerabilities, licenses, approval]'),
        file,
      );
      assert.deepStrictEqual(spec.pipeline?.stages[1].gates, [
        { kind: 'vulnerabilities', name: 'vulnerabilities', maxSeverity: 'high' },
        { kind: 'licenses', name: 'licenses', allow: [], deny: [] },
        { kind: 'approval', name: 'approval', count: 1, allowedSigners: join(dir, 'allowed_signers') },
      ]);
    });

    it('leaves the pipeline undefined when there is none', () => {
      assert.equal('pipeline' in parseSpec(EXAMPLE, file), false);
    });

    it('requires preview first, without gates, and unique stage names', () => {
      const issues = issuesOf(
        yaml(...STAGES, '    - staging', '    - name: preview', '      gates: [health]', '    - name: staging'),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          [
            '7:7-7:14',
            'pipeline.stages[0]',
            'the first stage must be "preview" (the branch environments, which promotion starts from); move "preview" to the top',
          ],
          [
            '10:13-10:20',
            'pipeline.stages[2].name',
            'stage "staging" is already declared (pipeline.stages[0]); stage names must be unique',
          ],
        ],
      );
      const preview = issueOf(yaml(...STAGES, '    - name: preview', '      gates: [health]', '    - production'));
      assert.equal(where(preview), '8:7-8:12');
      assert.equal(preview.field, 'pipeline.stages[0].gates');
      assert.equal(
        preview.message,
        '"preview" has no gates: branches enter it without promotion; put these gates on the next stage',
      );
      const missing = issueOf(yaml(...STAGES, '    - production'));
      assert.equal(
        missing.message,
        'the first stage must be "preview" (the branch environments, which promotion starts from); add "- preview" before "production"',
      );
    });

    it('requires gate names to be unique within a stage', () => {
      const issues = issuesOf(
        yaml(
          ...STAGES,
          '    - preview',
          '    - name: staging',
          '      gates:',
          '        - command: { name: tests, run: npm test }',
          '        - command: { name: tests, run: npm run e2e }',
          '        - health',
          '        - health',
          '    - name: production',
          '      gates: [health]',
        ),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          [
            '11:28-11:33',
            'pipeline.stages[1].gates[1].command.name',
            'gate name "tests" is already used in stage "staging" (gates[0]); give one of them its own name, e.g. { command: { name: tests-2 } }',
          ],
          [
            '13:11-13:17',
            'pipeline.stages[1].gates[3]',
            'gate name "health" is already used in stage "staging" (gates[2]); give one of them its own name, e.g. { health: { name: health-2 } }',
          ],
        ],
      );
    });

    it('checks the time zone, ranges and freezes of a window', () => {
      const issues = issuesOf(
        yaml(
          ...STAGES,
          '    - preview',
          '    - name: production',
          '      gates:',
          '        - window:',
          '            timezone: Europe/Berln',
          '            allow: ["Mon-Fri 17:00-09:00", "Weekdays 09:00-17:00", "Sat,Sun 10:00-12:00"]',
          '            freeze:',
          '              - { from: "2026-02-30T00:00", to: "2026-03-02T00:00" }',
          '              - { from: "2026-12-20T00:00", to: "2026-12-19T00:00", reason: oops }',
        ),
      );
      const window = 'pipeline.stages[1].gates[0].window';
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          [
            '11:23-11:35',
            `${window}.timezone`,
            'unknown time zone "Europe/Berln": use an IANA time zone such as Europe/Berlin, America/New_York or UTC',
          ],
          [
            '12:21-12:42',
            `${window}.allow[0]`,
            'range "Mon-Fri 17:00-09:00" ends before it starts; split a range across midnight in two, e.g. "Mon 22:00-24:00" and "Tue 00:00-02:00"',
          ],
          [
            '12:44-12:66',
            `${window}.allow[1]`,
            'must be a range such as "Mon-Fri 09:00-17:00", "Sat,Sun 10:00-12:00" or "* 00:00-24:00"',
          ],
          ['14:25-14:43', `${window}.freeze[0].from`, '"2026-02-30T00:00" is not a real date and time'],
          [
            '15:49-15:67',
            `${window}.freeze[1].to`,
            'the freeze ends ("2026-12-19T00:00") before it starts ("2026-12-20T00:00")',
          ],
        ],
      );
    });

    it('requires TLS of a tcp:// endpoint unless the stage says tls: false, and folds it into the endpoint', () => {
      const spec = parseSpec(
        yaml(
          ...STAGES,
          '    - preview',
          '    - name: staging',
          '      dockerHost: tcp://docker.internal:2376',
          '      tls: { certPath: certs/staging }',
          '    - name: qa',
          '      dockerHost: tcp://qa.internal:2376/',
          '      tls: { ca: /etc/docker/ca.pem, cert: certs/qa-cert.pem, key: certs/qa-key.pem }',
          '    - name: lab',
          '      dockerHost: tcp://10.0.0.5:2375',
          '      tls: false',
        ),
        file,
      );
      const query = (ca: string, cert: string, key: string) =>
        new URLSearchParams({ tlscacert: ca, tlscert: cert, tlskey: key }).toString();
      const certs = join(dir, 'certs');
      assert.deepStrictEqual(
        spec.pipeline?.stages.map((s) => s.dockerHost),
        [
          undefined,
          `tcp://docker.internal:2376?${query(join(certs, 'staging', 'ca.pem'), join(certs, 'staging', 'cert.pem'), join(certs, 'staging', 'key.pem'))}`,
          `tcp://qa.internal:2376?${query('/etc/docker/ca.pem', join(certs, 'qa-cert.pem'), join(certs, 'qa-key.pem'))}`,
          'tcp://10.0.0.5:2375?tls=false',
        ],
      );

      const issues = issuesOf(
        yaml(
          ...STAGES,
          '    - preview',
          '    - name: staging',
          '      dockerHost: tcp://docker.internal:2375',
          '    - name: qa',
          '      dockerHost: ssh://deploy@qa.internal',
          '      tls: { certPath: certs }',
          '    - name: lab',
          '      dockerHost: tcp://10.0.0.5:2375',
          '      tls: true',
          '    - name: demo',
          '      dockerHost: tcp://10.0.0.6:2376',
          '      tls: { ca: ca.pem }',
        ),
      );
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          [
            '9:19-9:45',
            'pipeline.stages[1].dockerHost',
            'a tcp:// endpoint needs TLS: add "tls: { certPath: FOLDER }" (with ca.pem, cert.pem and key.pem) or "tls: { ca: FILE, cert: FILE, key: FILE }" to this stage; ' +
              'only "tls: false" allows plain HTTP, which gives anyone who can reach the port control of that engine',
          ],
          [
            '12:7-12:10',
            'pipeline.stages[2].tls',
            '"tls" applies to a tcp:// dockerHost only (unix:// and ssh:// endpoints are secured by the socket\'s permissions and by SSH): remove it',
          ],
          [
            '15:12-15:16',
            'pipeline.stages[3].tls',
            'must be false (plain HTTP), { certPath: FOLDER } or { ca: FILE, cert: FILE, key: FILE }',
          ],
          [
            '18:12-18:26',
            'pipeline.stages[4].tls',
            'must be false (plain HTTP), { certPath: FOLDER } or { ca: FILE, cert: FILE, key: FILE }',
          ],
        ],
      );
    });

    it('reports unknown gate kinds, missing options and bad values at their place', () => {
      const issues = issuesOf(
        yaml(
          ...STAGES,
          '    - preview',
          '    - name: Staging',
          '      dockerHost: http://docker:2375',
          '      gates:',
          '        - command',
          '        - tests: { run: npm test }',
          '        - command: { name: tests, timeout: 1w }',
          '        - { health: {}, drift: {} }',
          '        - coverage: { min: 120 }',
          '        - checks: { repository: nope }',
        ),
      );
      const gates = 'pipeline.stages[1].gates';
      assert.deepStrictEqual(
        issues.map((i) => [where(i), i.field, i.message]),
        [
          [
            '8:13-8:20',
            'pipeline.stages[1].name',
            "must be a stage name: use a lowercase letter, then up to 30 lowercase letters, digits or '-'",
          ],
          [
            '9:19-9:37',
            'pipeline.stages[1].dockerHost',
            'must be a Docker endpoint: unix:///var/run/docker.sock, tcp://host:port, ssh://user@host or context://NAME',
          ],
          [
            '11:11-11:18',
            `${gates}[0]`,
            'must be one of health, drift, vulnerabilities, licenses, approval; command, coverage, window, checks and mocks need options: write { <kind>: { ... } }',
          ],
          [
            '12:11-12:16',
            `${gates}[1].tests`,
            'unknown gate kind "tests" (kinds: health, drift, command, vulnerabilities, licenses, coverage, mocks, approval, window, checks)',
          ],
          ['13:11-13:18', `${gates}[2].command`, 'missing required field "run"'],
          ['13:44-13:46', `${gates}[2].command.timeout`, 'must be a duration such as 500ms, 1s, 1.5s, 2m or 1h'],
          [
            '14:11-14:36',
            `${gates}[3]`,
            'must be a gate kind (health, drift, vulnerabilities, licenses, approval) or a mapping from one gate kind to its options, e.g. { command: { run: npm test } }',
          ],
          ['15:28-15:31', `${gates}[4].coverage.min`, 'must be a percentage between 0 and 100'],
          ['16:33-16:37', `${gates}[5].checks.repository`, 'must be a GitHub repository such as owner/name'],
        ],
      );
    });
  });

  describe('loadSpec', () => {
    it('reads and parses the file', async () => {
      writeFileSync(file, EXAMPLE);
      const spec = await loadSpec(file);
      assert.equal(spec.file, file);
      assert.deepStrictEqual(
        spec.services.map((s) => s.name),
        ['web'],
      );
    });

    it('says which file is missing and what to do', async () => {
      const missing = join(dir, 'missing', 'slipway.yaml');
      await assert.rejects(loadSpec(missing), (err: unknown) => {
        assert.ok(SlipwayError.is(err, 'spec-not-found'));
        assert.ok(err.message.includes(missing), err.message);
        assert.match(err.hint ?? '', /slipway\.yaml.*--spec/);
        return true;
      });
    });
  });

  describe('renderTemplate', () => {
    it('joins literal text with the resolved references', () => {
      const text = EXAMPLE.replace('${{ databases.db.url }}', 'pg://${{databases.db.host}}:${{ databases.db.port }}/x');
      const [web] = parseSpec(text, file).services;
      const rendered = renderTemplate(web.env.DATABASE_URL, (ref) => (ref.attr === 'host' ? 'db.internal' : '5432'));
      assert.equal(rendered, 'pg://db.internal:5432/x');
      assert.equal(
        renderTemplate([], () => 'unused'),
        '',
      );
    });
  });

  describe('the JSON schema', () => {
    const schema: unknown = JSON.parse(
      readFileSync(join(__dirname, '../../environments/spec/slipway.schema.json'), 'utf8'),
    );

    /** Every object schema that declares properties, with its location. */
    function objectSchemas(node: unknown, at = '#'): Array<[string, Record<string, unknown>]> {
      if (typeof node !== 'object' || node === null) return [];
      const found: Array<[string, Record<string, unknown>]> = [];
      const record = node as Record<string, unknown>;
      if (typeof record.properties === 'object') found.push([at, record]);
      for (const [key, value] of Object.entries(record)) found.push(...objectSchemas(value, `${at}/${key}`));
      return found;
    }

    it('closes every object and describes every property', () => {
      const objects = objectSchemas(schema);
      assert.ok(objects.length > 5);
      for (const [at, object] of objects) {
        assert.equal(object.additionalProperties, false, `${at} must set additionalProperties: false`);
        for (const [name, property] of Object.entries(object.properties as Record<string, { description?: unknown }>)) {
          assert.equal(typeof property.description, 'string', `${at}/properties/${name} needs a description`);
        }
      }
    });
  });
});
