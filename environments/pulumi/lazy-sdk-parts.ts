/**
 * Two packages the Pulumi SDK loads with itself but uses only to serialize a function, which a
 * worker does once per build of Slipway (./provider-closure.ts): a TypeScript compiler (through
 * the SDK's `typescript-shim`) and npm's arborist, loaded on first use where the SDK comes from
 * node_modules (~0.3 s of CPU less in every fresh stack worker). The editor's bundle carries the
 * SDK inside it and is left as it is.
 */
import { loadOnFirstUse, resolveFrom } from '../lazy-modules';

loadOnFirstUse(resolveFrom('@pulumi/pulumi', '@pulumi/pulumi/typescript-shim'), 'object');
loadOnFirstUse(resolveFrom('@pulumi/pulumi', '@npmcli/arborist'), 'object');
