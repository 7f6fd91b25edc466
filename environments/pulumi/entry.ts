/**
 * The stack worker's entry point, and also the host of Pulumi's dynamic providers in the
 * editor's bundle: there, `@pulumi/pulumi/cmd/dynamic-provider` on the provider's NODE_PATH is a
 * two-line file that sets SLIPWAY_DYNAMIC_PROVIDER=1 and loads this file, whose bundle carries
 * the SDK's provider host. So the bundle needs no `@pulumi/pulumi` on disk.
 */
if (process.env.SLIPWAY_DYNAMIC_PROVIDER === '1') {
  // The provider host reads its engine address from argv and serves until Pulumi stops it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@pulumi/pulumi/cmd/dynamic-provider');
} else {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('./worker');
}
