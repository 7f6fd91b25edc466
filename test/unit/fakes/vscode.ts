/**
 * A stand-in for the `vscode` module, enough for a webview panel's host class to run in plain
 * Node: events, URIs, a panel whose posts are recorded, commands and file watchers the test
 * drives. `useFakeVscode()` makes `require('vscode')` return it.
 */
import Module from 'node:module';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private listeners: Array<Listener<T>> = [];
  readonly event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(readonly path: string) {}
  get fsPath(): string {
    return this.path;
  }
  static file(path: string): Uri {
    return new Uri(path);
  }
  static parse(value: string): Uri {
    return new Uri(value);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri([base.path, ...parts].join('/'));
  }
  toString(): string {
    return this.path;
  }
}

export class RelativePattern {
  constructor(
    readonly base: unknown,
    readonly pattern: string,
  ) {}
}

/** A file watcher whose events the test fires. */
export class FakeFileWatcher {
  readonly changed = new EventEmitter<Uri>();
  readonly created = new EventEmitter<Uri>();
  readonly deleted = new EventEmitter<Uri>();
  readonly onDidChange = this.changed.event;
  readonly onDidCreate = this.created.event;
  readonly onDidDelete = this.deleted.event;
  dispose(): void {}
}

/** What the fake records, for the test to read and drive. */
export const recorded = {
  commands: [] as Array<{ id: string; args: unknown[] }>,
  watchers: [] as FakeFileWatcher[],
  progress: [] as Array<{ title: string; cancellable?: boolean }>,
  errors: [] as string[],
  /** Registered commands, by id. */
  registered: new Map<string, (...args: unknown[]) => unknown>(),
  /** Set by a test: the progress notification's Cancel is pressed when a progress starts. */
  cancelAtStart: false,
};

/** Positions, ranges and diagnostics as the Problems panel gets them (0-based lines and characters). */
export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
  isAfter(other: Position): boolean {
    return this.line > other.line || (this.line === other.line && this.character > other.character);
  }
  translate(lines = 0, characters = 0): Position {
    return new Position(this.line + lines, this.character + characters);
  }
}
export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}
export const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };
export class Diagnostic {
  source?: string;
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: number,
  ) {}
}

/** Diagnostic collections by name, as the Problems panel holds them (keyed by the URI's string). */
export const languages = {
  collections: new Map<string, Map<string, Diagnostic[]>>(),
  createDiagnosticCollection(name: string) {
    const entries = new Map<string, Diagnostic[]>();
    languages.collections.set(name, entries);
    return {
      set: (uri: Uri, list: Diagnostic[]) => void entries.set(uri.toString(), list),
      delete: (uri: Uri) => void entries.delete(uri.toString()),
      get: (uri: Uri) => entries.get(uri.toString()),
      clear: () => entries.clear(),
      dispose: () => void languages.collections.delete(name),
    };
  },
};

export const ProgressLocation = { Notification: 15, Window: 10 };
export const ViewColumn = { Active: -1 };

export const window = {
  withProgress: async <T>(
    opts: { title: string; cancellable?: boolean },
    task: (p: unknown, t: unknown) => Promise<T>,
  ) => {
    recorded.progress.push({ title: opts.title, cancellable: opts.cancellable });
    const cancel = new EventEmitter<void>();
    const running = task({ report: () => undefined }, { onCancellationRequested: cancel.event });
    if (recorded.cancelAtStart) cancel.fire();
    return running;
  },
  showInformationMessage: async (message: string) => (recorded.errors.push(`info: ${message}`), undefined),
  showWarningMessage: async () => undefined,
  showErrorMessage: async (message: string) => (recorded.errors.push(`error: ${message}`), undefined),
};

export const commands = {
  executeCommand: async (id: string, ...args: unknown[]) => {
    recorded.commands.push({ id, args });
    return undefined;
  },
  registerCommand: (id: string, handler: (...args: unknown[]) => unknown) => {
    recorded.registered.set(id, handler);
    return { dispose: () => recorded.registered.delete(id) };
  },
};

export const workspace = {
  isTrusted: true,
  onDidChangeConfiguration: () => ({ dispose: () => undefined }),
  createFileSystemWatcher: () => {
    const w = new FakeFileWatcher();
    recorded.watchers.push(w);
    return w;
  },
};

export const env = { openExternal: async () => true };

/** A webview panel: visible, its posts recorded in order, its messages sent by the test. */
export class FakePanel {
  readonly posted: Array<{ type: string; method?: string; params?: unknown }> = [];
  visible = true;
  title = 'Environment';
  iconPath: unknown;
  private readonly received = new EventEmitter<unknown>();
  private readonly disposed = new EventEmitter<void>();
  private readonly viewState = new EventEmitter<{ webviewPanel: FakePanel }>();
  readonly onDidDispose = this.disposed.event;
  readonly onDidChangeViewState = this.viewState.event;
  readonly webview = {
    options: {} as unknown,
    html: '',
    cspSource: 'https://webview.test',
    asWebviewUri: (u: Uri) => u,
    onDidReceiveMessage: this.received.event,
    postMessage: async (m: { type: string; method?: string; params?: unknown }) => {
      this.posted.push(JSON.parse(JSON.stringify(m)));
      return true;
    },
  };
  /** The webview posts a message to the host. */
  send(message: unknown): void {
    this.received.fire(message);
  }
  dispose(): void {
    this.disposed.fire();
  }
}

/**
 * Makes `require('vscode')` (from the extension's modules) load this module, and `core()` load
 * the fake core (test/unit/fakes/core.ts). Returns the undo: nothing leaks into later tests or
 * the processes they start.
 */
export function useFakeVscode(): () => void {
  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = mod._resolveFilename;
  const previousCore = process.env.SLIPWAY_CORE;
  process.env.SLIPWAY_CORE = require.resolve('./core');
  mod._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? __filename : original.call(this, request, ...rest);
  };
  return () => {
    mod._resolveFilename = original;
    if (previousCore === undefined) delete process.env.SLIPWAY_CORE;
    else process.env.SLIPWAY_CORE = previousCore;
  };
}
