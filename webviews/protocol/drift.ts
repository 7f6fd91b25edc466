/** The drift view's models: drifted resources and their differing properties. */

export type DriftSource = 'reality' | 'spec';

export interface DriftPropertyView {
  /** `image`, `env.DATABASE_URL`, `ports.3000`, `state`... */
  path: string;
  declared: string;
  actual: string;
}

export interface DriftResourceView {
  /** Identifies the resource in `drift/reapply` and `drift/accept`. */
  urn: string;
  name: string;
  /** `container`, `network`, `volume`... */
  type: string;
  /** `reality`: the real object differs from state; `spec`: the spec differs from state. */
  source: DriftSource;
  properties: DriftPropertyView[];
  /** Which remedies apply (the core's `DriftItem.remedies`). */
  remedies: Array<'reapply' | 'accept'>;
}

export interface DriftView {
  project: string;
  env: string;
  branch: string;
  /** ISO time of the last check; absent: never checked. */
  checkedAt?: string;
  /** A check, reapply or accept is running now. */
  busy?: boolean;
  /** Empty: no drift. */
  resources: DriftResourceView[];
}
