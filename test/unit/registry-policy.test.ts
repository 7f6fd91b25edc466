/** The registry a team sets once (host policy, workspace settings) for stages on other engines: which one applies, a required one refusing a spec naming another, errors naming file, line and field. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { SlipwayError } from '../../environments/errors';
import { REGISTRY_PATTERN, stageWithRegistry } from '../../environments/pipeline/registry-policy';
import { parseSpec } from '../../environments/spec/load';
import type { Spec, StageSpec } from '../../environments/spec/types';

const ROOT = join(__dirname, '..', '..');

describe('the registry policy', () => {
  let home: string;
  let ws: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'slipway-regpol-home-'));
    ws = mkdtempSync(join(tmpdir(), 'slipway-regpol-ws-'));
    mkdirSync(join(ws, '.vscode'));
    mkdirSync(join(ws, '.git'));
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(ws, { recursive: true, force: true });
  });

  /** A spec with a local stage `qa`, and remote stages `staging` and `production` (this one with `registry` when given). */
  const spec = (productionRegistry?: string): Spec => {
    const text = [
      'version: 1',
      'name: shop',
      'services:',
      '  web: { image: x }',
      'pipeline:',
      '  stages:',
      '    - preview',
      '    - name: qa',
      '    - name: staging',
      '      dockerHost: unix:///run/staging.sock',
      '    - name: production',
      '      dockerHost: unix:///run/production.sock',
      ...(productionRegistry ? [`      registry: ${productionRegistry}`] : []),
      '',
    ].join('\n');
    const file = join(ws, 'slipway.yaml');
    writeFileSync(file, text);
    return parseSpec(text, file);
  };
  const stage = (s: Spec, name: string): StageSpec => s.pipeline!.stages.find((x) => x.name === name)!;
  const resolved = (s: Spec, name: string) => stageWithRegistry(home, s, stage(s, name));
  const policy = (text: string) => writeFileSync(join(home, 'policy.yaml'), text);
  const settings = (text: string) => writeFileSync(join(ws, '.vscode', 'settings.json'), text);

  it('sets the default for every stage on another engine, a stage name its own, and never a local stage', () => {
    policy(
      'quotas: { maxEnvironmentsPerHost: 4 }\nregistry:\n  default: reg.example.com/team\n  stages:\n    production: prod.example.com:5000\n    qa: qa.example.com\n',
    );
    const s = spec();
    assert.equal(resolved(s, 'staging').registry, 'reg.example.com/team');
    assert.equal(resolved(s, 'staging').registryFrom, `registry.default in ${join(home, 'policy.yaml')}:3`);
    assert.equal(resolved(s, 'production').registry, 'prod.example.com:5000');
    assert.equal(
      resolved(s, 'production').registryFrom,
      `registry.stages.production in ${join(home, 'policy.yaml')}:5`,
    );
    assert.equal(resolved(s, 'qa').registry, undefined, 'nothing travels to a stage on this engine');
    assert.equal(stage(s, 'staging').registry, undefined, 'the loaded spec is left as it was');
  });

  it("lets the spec's own registry win over a policy that does not require one", () => {
    policy('registry:\n  default: reg.example.com/team\n');
    const s = spec('mine.example.com');
    assert.equal(resolved(s, 'production').registry, 'mine.example.com');
    assert.equal(resolved(s, 'production').registryFrom, undefined);
  });

  it("refuses a spec naming another registry than a required one, at the stage's line, naming the policy", () => {
    policy('registry:\n  required: true\n  default: reg.example.com/team/\n');
    assert.equal(resolved(spec('reg.example.com/team'), 'production').registry, 'reg.example.com/team');
    const s = spec('mine.example.com');
    assert.throws(
      () => resolved(s, 'production'),
      (err: unknown) => {
        assert.ok(SlipwayError.is(err, 'policy-refused'), String(err));
        assert.equal(
          err.message,
          `${join(ws, 'slipway.yaml')}:13:17: pipeline.stages[3].registry: names the registry mine.example.com, but registry.default in ${join(home, 'policy.yaml')}:3 requires reg.example.com/team for stage production`,
        );
        assert.match(err.hint ?? '', /Remove "registry" from the stage/);
        return true;
      },
    );
  });

  it('reads the workspace settings the team commits; the host policy comes first, and a required one before either', () => {
    settings(
      '{\n  // the team\'s registry\n  "slipway.registry.default": "ws.example.com",\n  "slipway.registry.stages": {\n    "production": "wsprod.example.com"\n  },\n}\n',
    );
    const s = spec();
    assert.equal(resolved(s, 'staging').registry, 'ws.example.com');
    assert.equal(
      resolved(s, 'production').registryFrom,
      `slipway.registry.stages.production in ${join(ws, '.vscode', 'settings.json')}:5`,
    );
    policy('registry:\n  default: host.example.com\n');
    assert.equal(resolved(s, 'staging').registry, 'host.example.com');
    assert.equal(resolved(s, 'production').registry, 'host.example.com', "the host's default before the workspace's");
    settings('{ "slipway.registry.default": "ws.example.com", "slipway.registry.required": true }');
    assert.equal(resolved(s, 'staging').registry, 'ws.example.com', 'a required registry before one that is not');
    assert.throws(
      () => resolved(spec('mine.example.com'), 'production'),
      /slipway\.registry\.default in .*settings\.json:1 requires ws\.example\.com/,
    );
  });

  it("reads an empty default (the setting's own default in VS Code) as no registry", () => {
    settings('{ "slipway.registry.default": "", "slipway.registry.stages": { "production": "wsprod.example.com" } }');
    const s = spec();
    assert.equal(resolved(s, 'staging').registry, undefined);
    assert.equal(resolved(s, 'production').registry, 'wsprod.example.com');
  });

  it('names file, line and field of a bad policy', () => {
    const s = spec();
    const refused = (pattern: RegExp) =>
      assert.throws(
        () => resolved(s, 'staging'),
        (err: unknown) => SlipwayError.is(err, 'settings-invalid') && pattern.test(err.message),
      );
    const file = join(home, 'policy.yaml');
    policy('ttl: { default: 72h }\nregistry:\n  default: "https://reg.example.com"\n');
    refused(new RegExp(`^${file}:3: registry\\.default must be a registry: host\\[:port\\]\\[/path\\]`));
    policy('registry:\n  stages:\n    staging: 5\n');
    refused(new RegExp(`^${file}:3: registry\\.stages\\.staging must be a registry`));
    policy('registry:\n  defualt: reg.example.com\n');
    refused(
      new RegExp(`^${file}:2: registry\\.defualt is not a registry setting \\(use default, stages or required\\)`),
    );
    policy('registry:\n  required: yes please\n  default: reg.example.com\n');
    refused(new RegExp(`^${file}:2: registry\\.required must be true or false`));
    policy('registry:\n  required: true\n');
    refused(new RegExp(`^${file}:2: registry\\.required requires a registry, and none is set beside it`));
    policy('registry: reg.example.com\n');
    refused(new RegExp(`^${file}:1: registry must be a mapping`));
    rmSync(file);
    settings('{\n  "slipway.registry.stages": ["staging"]\n}');
    refused(new RegExp(`settings\\.json:2: slipway\\.registry\\.stages must map stage names to registries`));
    settings('{\n  "slipway.registry.default": "reg.example.com",\n  oops\n}');
    refused(/settings\.json:3: is not a JSON object of settings/);
  });

  it('accepts in both JSON schemas exactly the registries the core accepts, for the editor to complete and check', () => {
    const policySchema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'policy.schema.json'), 'utf8')) as {
      definitions: { registry: { pattern: string } };
      properties: Record<string, unknown>;
    };
    assert.equal(policySchema.definitions.registry.pattern, REGISTRY_PATTERN);
    assert.deepEqual(Object.keys(policySchema.properties).sort(), ['quotas', 'registry', 'state_url', 'ttl']);
    const valid = new Ajv({ allErrors: true, strict: false }).compile(policySchema);
    const example = [
      'quotas: { maxEnvironmentsPerHost: 10, cpusPerHost: 8, memoryPerHost: 16g }',
      'ttl: { default: 72h }',
      'registry:',
      '  default: registry.example.com/team',
      '  stages: { production: registry.example.com:5000/prod }',
      '  required: true',
    ].join('\n');
    assert.ok(valid(parse(example)), JSON.stringify(valid.errors));
    assert.ok(!valid(parse('registry: { default: "https://x", stage: {} }')));
    assert.deepEqual(valid.errors?.map((e) => e.instancePath).sort(), ['/registry', '/registry/default']);
    const specSchema = readFileSync(join(ROOT, 'environments', 'spec', 'slipway.schema.json'), 'utf8');
    assert.ok(specSchema.includes(JSON.stringify(REGISTRY_PATTERN)), 'the spec schema checks a stage registry alike');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      contributes: {
        yamlValidation: Array<{ fileMatch: string[]; url: string }>;
        configuration:
          | Array<{ properties: Record<string, { pattern?: string }> }>
          | { properties: Record<string, { pattern?: string }> };
      };
    };
    assert.ok(pkg.contributes.yamlValidation.some((v) => v.url === './schemas/policy.schema.json'));
    const configs = [pkg.contributes.configuration].flat();
    const props = Object.assign({}, ...configs.map((c) => c.properties)) as Record<string, { pattern?: string }>;
    assert.equal(props['slipway.registry.default']?.pattern, REGISTRY_PATTERN);
    assert.ok(props['slipway.registry.stages'] && props['slipway.registry.required']);
  });
});
