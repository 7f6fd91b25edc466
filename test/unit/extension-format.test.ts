/** The extension's texts that need no VS Code: durations, TTL, progress lines, the spec's project name, error messages with their hints, drift values. */
import assert from 'node:assert/strict';
import { formatMemory, parseMemory } from '../../environments/spec/units';
import {
  ageAndTtl,
  ago,
  describeEvent,
  driftValue,
  envLabel,
  messageSummary,
  projectNameOf,
  shortDuration,
  withHint,
} from '../../extension/format';

describe('extension texts', () => {
  it('shortens durations to minutes, hours, and days with hours', () => {
    assert.equal(shortDuration(0), '0m');
    assert.equal(shortDuration(59 * 60_000), '59m');
    assert.equal(shortDuration(5 * 3600_000), '5h');
    assert.equal(shortDuration(52 * 3600_000), '2d 4h');
    assert.equal(shortDuration(48 * 3600_000), '2d');
    assert.equal(shortDuration(-5000), '0m');
  });

  it('says "just now" under a minute, and how long ago after', () => {
    assert.equal(ago(20_000), 'just now');
    assert.equal(ago(-1000), 'just now');
    assert.equal(ago(5 * 60_000), '5m ago');
    assert.equal(ago(52 * 3600_000), '2d 4h ago');
  });

  it('says how long an environment has been up and how long it has left, or since when it expired', () => {
    const now = Date.parse('2026-01-02T12:00:00Z');
    assert.equal(ageAndTtl('2026-01-02T07:00:00Z', now + 3 * 3600_000, now), '3h left · up 5h');
    assert.equal(ageAndTtl('2026-01-01T00:00:00Z', now - 2 * 3600_000, now), 'expired 2h ago · up 1d 12h');
    assert.equal(ageAndTtl(undefined, undefined, now), '');
  });

  it('labels stages as stages and branches as themselves', () => {
    assert.equal(envLabel('stage:staging'), 'stage: staging');
    assert.equal(envLabel('feature/Ünïcode & spaces'), 'feature/Ünïcode & spaces');
  });

  it('turns engine events into progress lines that name each resource once', () => {
    assert.equal(
      describeEvent({ type: 'resource', phase: 'started', op: 'create', kind: 'Container', name: 'web', urn: 'u' }),
      'creating container web…',
    );
    assert.equal(
      describeEvent({
        type: 'resource',
        phase: 'finished',
        op: 'create',
        kind: 'Image',
        name: 'web-image',
        urn: 'u',
        durationMs: 2345,
      }),
      'created image web (2.3s)',
    );
    assert.equal(
      describeEvent({ type: 'resource', phase: 'finished', op: 'create', kind: 'Network', name: 'network', urn: 'u' }),
      'created network',
    );
    assert.equal(
      describeEvent({ type: 'resource', phase: 'failed', op: 'delete', kind: 'Volume', name: 'db-volume', urn: 'u' }),
      'removing volume db failed',
    );
    assert.equal(
      describeEvent({
        type: 'resource',
        phase: 'started',
        op: 'create',
        kind: 'GeneratedPassword',
        name: 'db-password',
        urn: 'u',
      }),
      'creating generated password db…',
    );
    assert.equal(describeEvent({ type: 'step', message: 'nothing changed' }), 'nothing changed');
    assert.equal(describeEvent({ type: 'summary', changes: {}, durationMs: 1 }), undefined);
  });

  it('reads the project name from the top-level name key only', () => {
    assert.equal(projectNameOf('version: 1\nname: shop\nservices:\n  web:\n    name: nested\n'), 'shop');
    assert.equal(projectNameOf('name: "my shop"  # comment\n'), 'my shop');
    assert.equal(projectNameOf("name: 'quoted'\n"), 'quoted');
    assert.equal(projectNameOf('services:\n  name: nested\n'), undefined);
    assert.equal(projectNameOf('name:\n'), undefined);
  });

  it('folds the list a message introduces into its one line, and keeps other messages to their first line', () => {
    const refused =
      'Not promoting branch "feature/x" to staging: 2 of 4 gate(s) do not pass:\n  ✗ syntax (command) fail: "node --check server.js" exited with 1\n  … approval (approval) pending: 0 of 1 approval';
    assert.equal(
      messageSummary(refused),
      'Not promoting branch "feature/x" to staging: 2 of 4 gate(s) do not pass: ✗ syntax (command) fail: "node --check server.js" exited with 1; … approval (approval) pending: 0 of 1 approval',
    );
    assert.equal(messageSummary('web never became healthy.\nlast log lines:\nboom'), 'web never became healthy.');
    assert.equal(messageSummary('one line only'), 'one line only');
    const long = messageSummary(`Blocked:\n${'x'.repeat(1000)}`);
    assert.equal(long.length, 400);
    assert.ok(long.endsWith('…'));
  });

  it('puts the hint after the message as a sentence of its own', () => {
    assert.equal(
      withHint('1 of 4 gate(s) do not pass: approval pending: 0 of 1 approval', 'Collect the approvals.'),
      '1 of 4 gate(s) do not pass: approval pending: 0 of 1 approval. Collect the approvals.',
    );
    assert.equal(withHint('No Docker Engine answers.', 'Start Docker.'), 'No Docker Engine answers. Start Docker.');
    assert.equal(withHint('As is', undefined), 'As is');
  });

  it('shows a drifted memory limit as the spec writes it, and other values as they are', () => {
    assert.equal(driftValue('memory', String(256 * 1024 ** 2)), '256Mi');
    assert.equal(driftValue('memoryBytes', String(2 * 1024 ** 3)), '2Gi');
    assert.equal(driftValue('memory', String(1536 * 1024)), '1536Ki');
    assert.equal(driftValue('memory', '1000'), '1000');
    assert.equal(driftValue('memory', 'unlimited'), 'unlimited');
    assert.equal(driftValue('env.PORT', '1048576'), '1048576');
    // The spec's own parser reads every formatted size back to the same bytes.
    for (const n of [256 * 1024 ** 2, 2 * 1024 ** 3, 1536 * 1024, 1000]) assert.equal(parseMemory(formatMemory(n)), n);
  });
});
