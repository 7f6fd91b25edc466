// The configuration a mock server runs from, and the shapes of its stubs, exchanges, faults and log.

/** A request as the mock sees it: headers lower-cased, body parsed as JSON when it is JSON. */
export interface MockRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body?: unknown;
}

export interface MockResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** A hand-written stub: a method and path pattern (`/charges/{id}`, `*` for any segment), and what to match. */
export interface Stub {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Every field given must be present in the JSON body with this value (deep, partial match). */
  body?: unknown;
  /** The answer; strings in it may hold `{{request.path.id}}`, `{{request.query.q}}`, `{{request.body.amount}}`, `{{request.headers.x}}`. */
  response: { status: number; headers?: Record<string, string>; body?: unknown };
}

/** A recorded exchange, already redacted. */
export interface Exchange {
  request: MockRequest;
  response: MockResponse;
}

/** What to redact before anything is written or logged. */
export interface RedactRules {
  headers: string[];
  /** Dotted JSON paths into bodies (`card.number`, `customer.email`). */
  paths: string[];
  /** Regular expressions (source text) whose matches in any string are replaced. */
  patterns: string[];
  /**
   * Query parameter and JSON body key names whose values are replaced wherever they appear
   * (case-insensitive, `-`/`_` ignored, also as a suffix: `access_token`, `clientSecret`). Absent: the defaults.
   */
  keys?: string[];
}

export interface MockConfig {
  name: string;
  port: number;
  /** POST then GET of the same resource returns what was posted. */
  state: boolean;
  stubs: Stub[];
  recordings: Exchange[];
  /** The OpenAPI document: its entry file's relative path and every file it reaches through `$ref`. */
  openapi?: { entry: string; files: Record<string, string> };
  redact: RedactRules;
}

/** A fault in force, for the whole mock or for the routes matching `route`. */
export interface Fault {
  route?: string;
  /** Fixed status answered (429 carries Retry-After). */
  status?: number;
  /** Fraction of requests the fault hits, 0..1 (default 1). */
  rate?: number;
  latencyMs?: number;
  /** Close the connection without an answer. */
  drop?: boolean;
  /** Never answer (the client times out). */
  timeout?: boolean;
  retryAfterS?: number;
}

export interface LogEntry {
  at: string;
  request: MockRequest;
  response: MockResponse;
  /** Which source answered: stub, recording, openapi, state, fault, validation, none. */
  source: string;
  ms: number;
}
