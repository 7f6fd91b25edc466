/**
 * The webview's side of the protocol: posts commands and requests to the extension, dispatches
 * its notifications, sends the ready handshake, and keeps the UI state (only UI state) in
 * VS Code's webview state so a reload restores it.
 */
import {
  PROTOCOL_VERSION,
  parseHostMessage,
  type CommandMethod,
  type Commands,
  type NotificationMethod,
  type Notifications,
  type RequestMethod,
  type RequestParams,
  type RequestResult,
  type WebviewApp,
} from '../protocol';
import { Requester, type RequestOptions } from '../rpc';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

/** Outside a webview (a plain browser), messages go nowhere and state lives for the page only. */
function fallbackApi(): VsCodeApi {
  let state: unknown;
  return {
    postMessage: () => undefined,
    getState: () => state,
    setState: (s) => (state = s),
  };
}

type Handler<M extends NotificationMethod> = (params: Notifications[M]) => void;

export class Host<UiState extends object> {
  private readonly api: VsCodeApi;
  private readonly requester: Requester;
  private readonly handlers = new Map<NotificationMethod, Handler<never>>();
  private ui: UiState;

  constructor(
    readonly app: WebviewApp,
    defaults: UiState,
  ) {
    this.api = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : fallbackApi();
    this.requester = new Requester((m) => this.api.postMessage(m));
    const saved = this.api.getState();
    this.ui = { ...defaults, ...(saved && typeof saved === 'object' ? (saved as Partial<UiState>) : {}) };
    // The panel's identity rides along in the saved state: VS Code hands it to the host's
    // serializer when it restores the panel after a reload.
    const panel = typeof document === 'undefined' ? undefined : document.body?.dataset.panel;
    if (panel !== undefined) this.api.setState({ ...this.ui, panel });
    window.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
  }

  /** Handles one notification method (the last handler given wins). */
  on<M extends NotificationMethod>(method: M, handler: Handler<M>): this {
    this.handlers.set(method, handler as Handler<never>);
    return this;
  }

  /** The handshake: call once every handler is in place. The host answers with the full state. */
  ready(): void {
    this.command('webview/ready', { app: this.app, version: PROTOCOL_VERSION });
  }

  command<M extends CommandMethod>(method: M, params: Commands[M]): void {
    this.api.postMessage({ type: 'command', method, params });
  }

  request<M extends RequestMethod>(
    method: M,
    params: RequestParams<M>,
    options?: RequestOptions,
  ): Promise<RequestResult<M>> {
    return this.requester.request(method, params, options);
  }

  get uiState(): Readonly<UiState> {
    return this.ui;
  }

  /** Merges `patch` into the UI state and saves it. */
  saveUiState(patch: Partial<UiState>): void {
    this.ui = { ...this.ui, ...patch };
    const panel = typeof document === 'undefined' ? undefined : document.body?.dataset.panel;
    this.api.setState(panel === undefined ? this.ui : { ...this.ui, panel });
  }

  private receive(data: unknown): void {
    const message = parseHostMessage(data);
    if (!message) return;
    if (message.type === 'response') {
      this.requester.receive(message);
      return;
    }
    const handler = this.handlers.get(message.method) as Handler<typeof message.method> | undefined;
    handler?.(message.params as never);
  }
}
