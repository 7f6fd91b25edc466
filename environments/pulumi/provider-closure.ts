/**
 * Slipway's dynamic provider as Pulumi keeps it in the state (the `__provider` input of every
 * resource): serialized once per build of the stack worker and kept under SLIPWAY_HOME, and the
 * resource base class that carries it.
 *
 * Pulumi's `dynamic.Resource` serializes its provider object on every program run: the SDK's
 * closure serializer loads a TypeScript compiler and npm's arborist and walks the functions through
 * the V8 inspector, ~1-2 s of CPU in each fresh worker, for a text that only changes with the
 * bundle. The text is the serializer's own output (`serializeFunction(() => provider)`, as
 * `dynamic.Resource` calls it), so the state is what that class writes; the cache file is named by
 * a hash of the bundle, the SDK's version and Node's, and a text that is not there is made again.
 */
import { createHash } from 'node:crypto';
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
  if (file) writeFileAtomically(file, serialized.text, 0o600);
  return serialized.text;
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
