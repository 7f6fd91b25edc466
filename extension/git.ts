/**
 * Branch awareness through the built-in git extension's API (vscode.git, API version 1): the
 * branch checked out in the repository that holds the spec, change events, and local branch names.
 */
import * as vscode from 'vscode';

/** The parts of the git extension's API Slipway uses (see vscode's extensions/git/src/api/git.d.ts). */
interface GitRef {
  type: number; // 0 = head (local branch)
  name?: string;
}
interface GitRepository {
  rootUri: vscode.Uri;
  state: { HEAD?: { name?: string; commit?: string }; refs: GitRef[]; onDidChange: vscode.Event<void> };
  getRefs?(query: { pattern?: string }): Promise<GitRef[]>;
}
interface GitAPI {
  state: 'uninitialized' | 'initialized';
  onDidChangeState: vscode.Event<'uninitialized' | 'initialized'>;
  repositories: GitRepository[];
  onDidOpenRepository: vscode.Event<GitRepository>;
  getRepository(uri: vscode.Uri): GitRepository | null;
}

export interface BranchChange {
  previous?: string;
  /** The branch checked out now; undefined on a detached HEAD. */
  current?: string;
  /** The first report of a repository: the branch the window opened on, not a checkout. */
  initial: boolean;
}

export class GitTracker implements vscode.Disposable {
  private api?: GitAPI;
  private repo?: GitRepository;
  private branch?: string;
  /** Whether the repository's HEAD has been read once (the git extension reports no HEAD until its first status). */
  private known = false;
  private heads = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly branchEmitter = new vscode.EventEmitter<BranchChange>();
  private readonly refsEmitter = new vscode.EventEmitter<Set<string>>();
  /** Fires when the checked-out branch changes. */
  readonly onDidChangeBranch = this.branchEmitter.event;
  /** Fires with the local branch names whenever they change. */
  readonly onDidChangeBranches = this.refsEmitter.event;

  constructor(private readonly folder: () => vscode.Uri | undefined) {}

  /** Connects to the git extension once it is active; never blocks activation. */
  async start(): Promise<void> {
    const ext = vscode.extensions.getExtension<{ getAPI(v: 1): GitAPI }>('vscode.git');
    if (!ext) return;
    const exports = ext.isActive ? ext.exports : await ext.activate();
    this.api = exports.getAPI(1);
    this.disposables.push(this.api.onDidOpenRepository(() => this.attach()));
    this.attach();
  }

  get currentBranch(): string | undefined {
    return this.branch;
  }

  /** Local branch names, when git is known; undefined otherwise (nothing can be called deleted then). */
  get localBranches(): Set<string> | undefined {
    return this.repo ? this.heads : undefined;
  }

  private attach(): void {
    const folder = this.folder();
    const repo = folder ? (this.api?.getRepository(folder) ?? undefined) : this.api?.repositories[0];
    if (!repo || repo === this.repo) return;
    this.repo = repo;
    this.known = false;
    this.disposables.push(repo.state.onDidChange(() => this.update()));
    this.update();
  }

  private update(): void {
    const state = this.repo?.state;
    if (!state) return;
    const next = state.HEAD?.name;
    if (!this.known) {
      if (state.HEAD) {
        this.known = true;
        this.branch = next;
        this.branchEmitter.fire({ previous: undefined, current: next, initial: true });
      }
    } else if (next !== this.branch) {
      const previous = this.branch;
      this.branch = next;
      this.branchEmitter.fire({ previous, current: next, initial: false });
    }
    // Branch lists change rarely and cost a git call: read them at most every few seconds.
    if (!this.refsTimer) {
      this.refsTimer = setTimeout(() => {
        this.refsTimer = undefined;
        void this.readHeads();
      }, 2000);
    }
  }

  private refsTimer?: ReturnType<typeof setTimeout>;

  private async readHeads(): Promise<void> {
    const repo = this.repo;
    if (!repo) return;
    let refs: GitRef[];
    try {
      refs = repo.getRefs ? await repo.getRefs({}) : repo.state.refs;
    } catch {
      return;
    }
    const heads = new Set(refs.filter((r) => r.type === 0 && r.name).map((r) => r.name as string));
    if (heads.size > 0 && (heads.size !== this.heads.size || [...heads].some((h) => !this.heads.has(h)))) {
      this.heads = heads;
      this.refsEmitter.fire(heads);
    }
  }

  dispose(): void {
    if (this.refsTimer) clearTimeout(this.refsTimer);
    this.disposables.forEach((d) => d.dispose());
    this.branchEmitter.dispose();
    this.refsEmitter.dispose();
  }
}
