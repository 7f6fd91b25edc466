// The spec schema compiled with Ajv at run time, with the options of the bundles' precompiled validator: loaded only where there is none (tests, tsx).
import Ajv, { type ValidateFunction } from 'ajv';
import schema from './slipway.schema.json';
import options from './validator-options.json';
import type { RawSpec } from './normalize';

/** Ajv on slipway.schema.json with the options the build's precompiled validator uses (validator-options.json). */
export function compileSchemaValidator(): ValidateFunction<RawSpec> {
  const ajv = new Ajv(options.ajv);
  // Messages shared with the editor (VS Code's JSON and YAML language services read them too).
  ajv.addVocabulary(options.vocabulary);
  return ajv.compile<RawSpec>(schema);
}
