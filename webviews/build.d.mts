// Types of build.mjs, for TypeScript callers (the tests).
export declare const WEBVIEW_APPS: readonly string[];
export declare const MAX_BUNDLE_BYTES: number;
export declare const CODICON_FILES: readonly string[];

export interface BuildWebviewsOptions {
  /** Relative to the repository root unless absolute; default `dist/webviews`. */
  outdir?: string;
  /** Default true. */
  minify?: boolean;
  /** Linked source maps; default false. */
  sourcemap?: boolean;
  /** Where the size lines go; default `console.log`. */
  log?: (line: string) => void;
}

export interface BuiltBundle {
  app: string;
  file: string;
  bytes: number;
}

/** Bundles every webview app and copies the codicons; rejects when a bundle is over MAX_BUNDLE_BYTES. */
export declare function buildWebviews(options?: BuildWebviewsOptions): Promise<{ outdir: string; bundles: BuiltBundle[] }>;
