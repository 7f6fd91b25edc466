/** For spec tests: the issues a spec text is refused with (failing the test when it loads). */
import assert from 'node:assert/strict';
import { SpecError, type SpecIssue } from '../environments/errors';
import { parseSpec } from '../environments/spec/load';

export function specIssues(text: string, file: string): SpecIssue[] {
  try {
    parseSpec(text, file);
  } catch (err) {
    assert.ok(SpecError.is(err), `expected a SpecError, got ${String(err)}`);
    return err.issues;
  }
  assert.fail('expected the spec to be rejected');
}
