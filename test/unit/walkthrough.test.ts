// The walkthrough's examples are real specs: every YAML block of its media files loads with the spec loader, without warnings.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { singleBraceWarnings } from '../../environments/spec/braces';
import { parseSpec } from '../../environments/spec/load';
import { SpecError } from '../../environments/errors';

const ROOT = join(__dirname, '..', '..');

interface Walkthrough {
  id: string;
  steps: Array<{ id: string; media: { markdown?: string; image?: string } }>;
}

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe('the walkthrough', () => {
  let dir: string;
  before(() => {
    // A project folder as the walkthrough assumes one: the build context `.` holds a Dockerfile.
    dir = mkdtempSync(join(tmpdir(), 'slipway-walkthrough-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM slipway/debian:bookworm\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("every step's media exists, and every slipway.yaml example in it loads with no error and no warning", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      contributes: { walkthroughs: Walkthrough[] };
    };
    let examples = 0;
    for (const w of pkg.contributes.walkthroughs) {
      for (const step of w.steps) {
        const media = step.media.markdown ?? step.media.image;
        assert.ok(media && existsSync(join(ROOT, media)), `${w.id}/${step.id}: media ${media} is missing`);
        if (!step.media.markdown) continue;
        for (const yaml of yamlBlocks(readFileSync(join(ROOT, step.media.markdown), 'utf8'))) {
          examples++;
          const file = join(dir, 'slipway.yaml');
          try {
            const spec = parseSpec(yaml, file);
            assert.deepEqual(spec.warnings ?? [], [], `${step.media.markdown}: the example loads with warnings`);
          } catch (err) {
            if (SpecError.is(err)) assert.fail(`${step.media.markdown}: the example does not load:\n${err.message}`);
            throw err;
          }
        }
      }
    }
    assert.ok(examples > 0, 'the walkthrough shows at least one slipway.yaml');
  });

  it('an example with a wrong field fails this check, and single braces warn at their exact position', () => {
    const wrong = `version: 1\nname: shop\nservices:\n  web:\n    build: .\n    ports: [8080]\n    env:\n      DATABASE_URL: \${databases.db.url}\n    health:\n      http: { path: /healthz }\n`;
    assert.throws(
      () => parseSpec(wrong, join(dir, 'slipway.yaml')),
      (err: unknown) => SpecError.is(err) && /services\.web.*health/.test(err.message),
    );
    const loads = wrong.replace(/ {4}health:\n.*\n/, '');
    const spec = parseSpec(loads, join(dir, 'slipway.yaml'));
    assert.deepEqual(
      (spec.warnings ?? []).map(({ line, column, endLine, endColumn, field }) => ({
        line,
        column,
        endLine,
        endColumn,
        field,
      })),
      [{ line: 8, column: 21, endLine: 8, endColumn: 40, field: 'services.web.env.DATABASE_URL' }],
    );
    assert.match(spec.warnings![0].message, /single braces.*\$\{\{ databases\.db\.url \}\}/);
    assert.deepEqual(
      singleBraceWarnings('a: "${HOME}/x"\nb: ${{ databases.db.url }}\n', 'f'),
      [],
      'a shell variable and a real reference do not warn',
    );
    assert.deepEqual(
      singleBraceWarnings('a: [', 'f'),
      [],
      'unparseable text has no warnings (its errors come from the loader)',
    );
  });
});
