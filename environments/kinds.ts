/**
 * The kinds of resource an environment's Pulumi program declares, and their names everywhere:
 * Pulumi types (`pulumi-nodejs:dynamic/slipway:DockerContainer`), engine events (`DockerContainer`),
 * drift items (`container`, `generatedpassword`) and words for people. Pure and free of Node and
 * the DOM: the core, the extension and the webviews share it.
 */

export type ResourceKind = 'network' | 'volume' | 'image' | 'container' | 'password' | 'swarm-service';

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  'network',
  'volume',
  'image',
  'container',
  'password',
  'swarm-service',
];

/** The Pulumi module of Slipway's dynamic resources. */
export const PULUMI_MODULE = 'slipway';

/** Each kind's Pulumi type name, as the program declares it. */
export const PULUMI_TYPE_NAMES: Readonly<Record<ResourceKind, string>> = {
  network: 'DockerNetwork',
  volume: 'DockerVolume',
  image: 'DockerImage',
  container: 'DockerContainer',
  password: 'GeneratedPassword',
  'swarm-service': 'SwarmService',
};

/** Each kind in words, for progress lines, views and messages. */
export const KIND_LABELS: Readonly<Record<ResourceKind, string>> = {
  network: 'network',
  volume: 'volume',
  image: 'image',
  container: 'container',
  password: 'generated password',
  'swarm-service': 'Swarm service',
};

/** The full Pulumi type of a kind's resources: `pulumi-nodejs:dynamic/slipway:DockerContainer`. */
export function pulumiType(kind: ResourceKind): string {
  return `pulumi-nodejs:dynamic/${PULUMI_MODULE}:${PULUMI_TYPE_NAMES[kind]}`;
}

const BY_NAME = new Map<string, ResourceKind>();
for (const kind of RESOURCE_KINDS) {
  BY_NAME.set(kind, kind);
  BY_NAME.set(PULUMI_TYPE_NAMES[kind].toLowerCase(), kind);
  BY_NAME.set(PULUMI_TYPE_NAMES[kind].replace(/^Docker/, '').toLowerCase(), kind);
}

/**
 * The kind named by a Pulumi type (full or its last part), an event's kind or a drift item's kind;
 * undefined for anything else (Pulumi's own resources, such as `pulumi:pulumi:Stack`).
 */
export function resourceKindOf(name: string): ResourceKind | undefined {
  const last = name.slice(name.lastIndexOf(':') + 1);
  if (name.includes(':') && !name.startsWith(`pulumi-nodejs:dynamic/${PULUMI_MODULE}:`)) return undefined;
  return BY_NAME.get(last.toLowerCase());
}

/** A kind in words: `DockerContainer` = `container`, `generatedpassword` = `generated password`; others split at their capitals. */
export function kindLabel(name: string): string {
  const kind = resourceKindOf(name);
  if (kind) return KIND_LABELS[kind];
  const last = name.slice(name.lastIndexOf(':') + 1);
  return last.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}
