// The spec schema's validator as Ajv standalone code (CommonJS exporting `precompiled`), made at
// build time with the options the core compiles it with (environments/spec/validator-options.json),
// and the esbuild plugin that puts it in place of environments/spec/precompiled-validator.ts.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

export function specValidatorSource() {
  const Ajv = require('ajv').default;
  const standaloneCode = require('ajv/dist/standalone').default;
  const options = JSON.parse(readFileSync(join(root, 'environments', 'spec', 'validator-options.json'), 'utf8'));
  const schema = JSON.parse(readFileSync(join(root, 'environments', 'spec', 'slipway.schema.json'), 'utf8'));
  const ajv = new Ajv({ ...options.ajv, code: { source: true } });
  ajv.addVocabulary(options.vocabulary);
  // The single-function form exports the validator as module.exports; the module exports it as `precompiled`.
  return `${standaloneCode(ajv, ajv.compile(schema))}\nmodule.exports = { precompiled: module.exports };\n`;
}

/** esbuild: environments/spec/precompiled-validator.ts becomes the standalone validator. */
export const specValidatorPlugin = {
  name: 'slipway-spec-validator',
  setup(build) {
    let source;
    build.onLoad({ filter: /[\\/]environments[\\/]spec[\\/]precompiled-validator\.ts$/ }, () => ({
      contents: (source ??= specValidatorSource()),
      loader: 'js',
      resolveDir: root,
    }));
  },
};
