/**
 * Loads `slipway.yaml` v1: the YAML is parsed with positions (./source.ts), validated against
 * `slipway.schema.json`, the same schema the editor uses (./schema-issues.ts), and against the
 * rules a schema cannot express: references, name clashes, build folders, reference cycles
 * (./meaning.ts), then normalized into the `Spec` the engine consumes (./normalize.ts). Every
 * problem becomes a `SpecIssue` pointing at the offending YAML node; all of them are thrown
 * together in one `SpecError`, so the user can fix everything in one pass.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SlipwayError, SpecError, type SpecIssue } from '../errors';
import { singleBraceWarnings } from './braces';
import { semanticIssues } from './meaning';
import { normalize, type RawSpec } from './normalize';
import { schemaIssues } from './schema-issues';
import { SpecSource, uniqueSorted } from './source';
import type { Spec } from './types';

export { renderTemplate } from './template';

/**
 * Reads and parses the spec file at `file`. A missing file throws `SlipwayError('spec-not-found')`;
 * an invalid one throws `SpecError` with every issue found.
 */
export async function loadSpec(file: string): Promise<Spec> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new SlipwayError('spec-not-found', `No Slipway spec found: ${path} does not exist.`, {
        hint: 'Create slipway.yaml at the root of the project, or pass --spec <file>.',
        cause: err,
      });
    }
    if (code === 'EISDIR') {
      throw new SlipwayError('spec-not-found', `No Slipway spec found: ${path} is a folder, not a file.`, {
        hint: 'Pass the path of the slipway.yaml file itself with --spec <file>.',
        cause: err,
      });
    }
    throw err;
  }
  return parseSpec(text, path);
}

/**
 * Parses and validates the text of a spec. `file` is the spec's absolute path: issues name it, and
 * relative build contexts resolve against its folder (which must exist: build folders are checked).
 * Throws `SpecError` listing every issue found; throws nothing else for bad input.
 */
export function parseSpec(text: string, file: string): Spec {
  const source = new SpecSource(text, resolve(file));
  if (source.syntaxIssues.length > 0) {
    throw new SpecError(uniqueSorted([...source.syntaxIssues, ...source.duplicateKeyIssues]));
  }
  const data = source.data;
  const issues = uniqueSorted([
    ...source.duplicateKeyIssues,
    ...schemaIssues(data, source),
    ...semanticIssues(data, source),
  ]);
  if (issues.length > 0) throw new SpecError(issues);
  return withWarnings(normalize(data as RawSpec, source), singleBraceWarnings(text, resolve(file)));
}

function withWarnings(spec: Spec, warnings: SpecIssue[]): Spec {
  if (warnings.length > 0) spec.warnings = warnings;
  return spec;
}
