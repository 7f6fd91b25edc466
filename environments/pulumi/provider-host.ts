/**
 * Pulumi's dynamic-provider host on its own: the process Pulumi starts for Slipway's Docker
 * resources. Bundled apart from the stack worker and without the SDK's closure serializer (which
 * only a program run needs, and which brings a TypeScript compiler), it loads ~1 MB, not ~5.6 MB.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('@pulumi/pulumi/cmd/dynamic-provider');
