/** One grammar for durations and memory sizes: slipway.yaml, the CLI and the editor's settings read values the same way. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DURATION_PATTERN,
  MEMORY_PATTERN,
  durationSetting,
  formatMemory,
  memorySetting,
  parseDuration,
  parseMemory,
  tryParseDuration,
  tryParseMemory,
} from '../../environments/spec/units';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const schema = JSON.parse(readFileSync(join(root, 'environments', 'spec', 'slipway.schema.json'), 'utf8'));
const setting = (key: string) => pkg.contributes.configuration.properties[key];

describe('durations', () => {
  it('reads every unit, with decimals', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('72h'), 72 * 3_600_000);
    assert.equal(parseDuration('7d'), 7 * 86_400_000);
    assert.equal(parseDuration(' 30m '), 1_800_000);
  });

  it('refuses what is not a duration', () => {
    for (const bad of ['', '72', 'h', '1w', '-1h', '1 h', '72H', 'abc'])
      assert.equal(tryParseDuration(bad), undefined, bad);
    assert.throws(() => parseDuration('3 days'), /invalid duration "3 days"/);
  });

  it('is the pattern of the schema and of slipway.ttl.default', () => {
    assert.equal(schema.definitions.duration.pattern, DURATION_PATTERN.source);
    assert.equal(setting('slipway.ttl.default').pattern, DURATION_PATTERN.source);
    assert.equal(tryParseDuration(setting('slipway.ttl.default').default), 72 * 3_600_000);
  });
});

describe('memory sizes', () => {
  it('reads bytes, Ki/Mi/Gi and Docker k/m/g alike, all powers of 1024', () => {
    assert.equal(parseMemory(1000), 1000);
    assert.equal(parseMemory('1000'), 1000);
    assert.equal(parseMemory('256Mi'), 256 * 1024 ** 2);
    assert.equal(parseMemory('256M'), 256 * 1024 ** 2);
    assert.equal(parseMemory('512m'), 512 * 1024 ** 2);
    assert.equal(parseMemory('2g'), 2 * 1024 ** 3);
    assert.equal(parseMemory('1.5Gi'), 1.5 * 1024 ** 3);
    assert.equal(parseMemory('4k'), 4096);
    assert.equal(parseMemory('0'), 0);
  });

  it('refuses what is not a size', () => {
    for (const bad of ['', 'Mi', '2gb', '2 g', '-1', '1Ti', 'lots']) assert.equal(tryParseMemory(bad), undefined, bad);
    assert.equal(tryParseMemory(-5), undefined);
    assert.throws(() => parseMemory('2gb'), /invalid memory size "2gb"/);
  });

  it('writes what it reads', () => {
    for (const n of [256 * 1024 ** 2, 2 * 1024 ** 3, 1536 * 1024, 1000]) assert.equal(parseMemory(formatMemory(n)), n);
    assert.equal(formatMemory(512 * 1024 ** 2), '512Mi');
  });

  it('is the pattern of the schema and of slipway.quotas.memoryPerEnvironment', () => {
    const memory = schema.definitions.resources?.properties?.memory ?? findMemory(schema);
    assert.equal(memory.pattern, MEMORY_PATTERN.source);
    assert.equal(setting('slipway.quotas.memoryPerEnvironment').pattern, MEMORY_PATTERN.source);
    assert.equal(tryParseMemory(setting('slipway.quotas.memoryPerEnvironment').default), 2 * 1024 ** 3);
  });
});

describe('settings with a grammar', () => {
  it('reads a good slipway.ttl.default without a warning', () => {
    assert.deepEqual(durationSetting('slipway.ttl.default', '7d', '72h'), { value: 7 * 86_400_000 });
  });

  it('reports a bad slipway.ttl.default, naming the setting and the value, then uses the default', () => {
    const r = durationSetting('slipway.ttl.default', '3 days', '72h');
    assert.equal(r.value, 72 * 3_600_000);
    assert.ok(r.warning, 'a bad value gives a warning');
    assert.match(r.warning!, /slipway\.ttl\.default/);
    assert.match(r.warning!, /"3 days"/);
    assert.match(r.warning!, /default 72h/);
  });

  it('uses the default without a warning when the setting is empty', () => {
    assert.deepEqual(durationSetting('slipway.ttl.default', undefined, '72h'), { value: 72 * 3_600_000 });
    assert.deepEqual(durationSetting('slipway.ttl.default', '  ', '72h'), { value: 72 * 3_600_000 });
  });

  it('reports a bad slipway.quotas.memoryPerEnvironment the same way', () => {
    assert.deepEqual(memorySetting('slipway.quotas.memoryPerEnvironment', '512m', '2g'), { value: 512 * 1024 ** 2 });
    const r = memorySetting('slipway.quotas.memoryPerEnvironment', '2 GB', '2g');
    assert.equal(r.value, 2 * 1024 ** 3);
    assert.match(r.warning ?? '', /slipway\.quotas\.memoryPerEnvironment is "2 GB".*default 2g/);
  });
});

/** The `memory` property wherever the schema declares it. */
function findMemory(node: unknown): { pattern: string } {
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const props = o.properties as Record<string, { pattern?: string }> | undefined;
    if (props?.memory?.pattern) return props.memory as { pattern: string };
    for (const v of Object.values(o)) {
      const found = findMemory(v);
      if (found) return found;
    }
  }
  return undefined as unknown as { pattern: string };
}
