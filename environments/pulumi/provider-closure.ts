/**
 * Slipway's dynamic provider as Pulumi keeps it in the state (the `__provider` input of every
 * resource): serialized once per build of the stack worker and kept under SLIPWAY_HOME, and the
 * resource base class that carries it.
 *
 * Pulumi's `dynamic.Resource` serializes its provider object on every program run: the SDK's
 * closure serializer loads a TypeScript compiler and npm's arborist and walks the functions through
 * the V8 inspector, ~1-2 s of CPU in each fresh worker, for a text that only changes with the
 * bundle. The text is the serializer's own output (`serializeFunction(() => provider)`, as
 * `dynamic.Resource` calls it), kept compressed (see `compactProvider`); the cache file is named by
 * a hash of the bundle, the SDK's version and Node's, and a text that is not there is made again.
 */
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { version as sdkVersion } from '@pulumi/pulumi/package.json';
import { slipwayProvider } from '../docker/provider';
import { readTextIfExists, writeFileAtomically } from '../files';
import { PULUMI_MODULE } from '../kinds';

let closure: Promise<string> | undefined;
let text: string | undefined;

/** The cache file for this bundle, or undefined when the code does not run from the built stack worker. */
function cacheFile(home: string): string | undefined {
  if (basename(__filename) !== 'stack-worker.js') return undefined;
  const key = createHash('sha256')
    .update(readFileSync(__filename))
    .update(`\0${sdkVersion}\0${process.version}`)
    .digest('hex')
    .slice(0, 24);
  return join(home, 'runtime', `provider-${key}.js`);
}

async function serialize(home: string): Promise<string> {
  const file = cacheFile(home);
  const cached = file && readTextIfExists(file);
  if (cached) return cached;
  // The serializer `dynamic.Resource` loads on demand (it is slow to load), called as it calls it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sc = require('@pulumi/pulumi/runtime/closure/serializeClosure') as typeof import('@pulumi/pulumi/runtime');
  const serialized = await sc.serializeFunction(() => slipwayProvider, { allowSecrets: true });
  // The provider captures code and constants only; a secret in it would be a defect, never written in plain.
  if (serialized.containsSecrets) throw new Error("Slipway's dynamic provider captured a secret value");
  const compact = compactProvider(serialized.text);
  if (file) writeFileAtomically(file, compact, 0o600);
  return compact;
}

/**
 * The serializer's text as a small module that inflates it when Pulumi's dynamic-provider host
 * loads it (`requireFromString(text).handler()`, once per host process). Pulumi holds `__provider`
 * in the inputs and outputs of every resource, sends it in each provider call, writes it in each
 * checkpoint and logs it: at ~80 KB of source it made most of the state's size and a large share of
 * the engine's CPU per operation; compressed it is about a fifth of that.
 */
export function compactProvider(text: string): string {
  const packed = brotliCompressSync(Buffer.from(text, 'utf8'), {
    params: { [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_QUALITY]: 11 },
  }).toString('base64');
  // The text is a CommonJS module that uses `exports` and `require` only (the serializer's output).
  return [
    "// Slipway's dynamic provider: the text Pulumi's closure serializer made, brotli-compressed.",
    'exports.handler = function () {',
    `  var text = require("zlib").brotliDecompressSync(Buffer.from("${packed}", "base64")).toString("utf8");`,
    '  var loaded = { exports: {} };',
    '  new Function("exports", "require", "module", text)(loaded.exports, require, loaded);',
    '  return loaded.exports.handler();',
    '};',
    '',
  ].join('\n');
}

/** Starts loading (or making) the serialized provider, once per process; resolves to its text. */
export function loadProviderClosure(home: string): Promise<string> {
  closure ??= serialize(home).then(
    (t) => (text = t),
    (err: unknown) => {
      closure = undefined;
      throw err;
    },
  );
  return closure;
}

/**
 * A resource of Slipway's dynamic provider: the type, inputs and `__provider` that Pulumi's
 * `dynamic.Resource` gives it, with the provider text loaded beforehand (`loadProviderClosure`).
 */
export class SlipwayResource extends pulumi.CustomResource {
  constructor(
    type: string,
    name: string,
    props: Record<string, pulumi.Input<unknown>>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    if (text === undefined) throw new Error('the serialized provider is not loaded (loadProviderClosure)');
    super(`pulumi-nodejs:dynamic/${PULUMI_MODULE}:${type}`, name, { ...props, __provider: text }, opts);
  }
}
