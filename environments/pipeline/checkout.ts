/** A clean checkout (a detached git worktree) of the source commit, where the gates that run code (command, coverage, licenses, vulnerabilities) run. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { SlipwayError } from '../errors';
import type { GateSpec, StageSpec } from '../spec/types';
import type { GateContext } from './gates/types';

const CODE_KINDS = new Set(['command', 'coverage', 'licenses', 'vulnerabilities']);

function git(cwd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile('git', args, { cwd }, (err, _out, stderr) => resolve({ code: err ? 1 : 0, stderr: String(stderr) })),
  );
}

/** `path` moved from the repository at `root` into the checkout at `into`; a path outside the repository stays. */
function moved(path: string, root: string, into: string): string {
  const rel = relative(root, path);
  return rel.startsWith('..') || rel.startsWith(sep) ? path : join(into, rel);
}

function movedGate(gate: GateSpec, root: string, into: string): GateSpec {
  const at = (p: string | undefined) => (p === undefined ? undefined : moved(p, root, into));
  switch (gate.kind) {
    case 'command':
    case 'licenses':
      return gate.cwd ? { ...gate, cwd: at(gate.cwd) } : gate;
    case 'vulnerabilities':
      return {
        ...gate,
        ...(gate.cwd ? { cwd: at(gate.cwd) } : {}),
        ...(gate.report ? { report: at(gate.report) } : {}),
      };
    case 'coverage':
      return { ...gate, summary: moved(gate.summary, root, into) };
    default:
      return gate;
  }
}

/**
 * Runs `fn` with the stage's gates and context moved into a fresh detached worktree of `commit`
 * (removed afterwards, also on failure or cancel). Outside git, or when no gate runs code, `fn`
 * gets them as they are.
 */
export async function inSourceCheckout<T>(
  root: string | undefined,
  commit: string | undefined,
  stage: StageSpec,
  ctx: GateContext,
  fn: (stage: StageSpec, ctx: GateContext) => Promise<T>,
): Promise<T> {
  if (!root || !commit || !/^[0-9a-f]{7,64}$/.test(commit) || !stage.gates.some((g) => CODE_KINDS.has(g.kind)))
    return fn(stage, ctx);
  const into = join(mkdtempSync(join(tmpdir(), 'slipway-src-')), 'tree');
  const added = await git(root, ['worktree', 'add', '--detach', '--quiet', into, commit]);
  if (added.code !== 0) {
    rmSync(join(into, '..'), { recursive: true, force: true });
    throw new SlipwayError(
      'operation-failed',
      `Could not check out ${commit.slice(0, 12)} to run the gates in: ${added.stderr.trim()}`,
      {
        hint: 'The gates that run code run in a clean checkout of the source commit; make sure the commit is in this repository, then run them again.',
      },
    );
  }
  try {
    const gates = stage.gates.map((g) => movedGate(g, root, into));
    return await fn({ ...stage, gates }, { ...ctx, specDir: moved(ctx.specDir, root, into) });
  } finally {
    await git(root, ['worktree', 'remove', '--force', into]);
    rmSync(join(into, '..'), { recursive: true, force: true });
    await git(root, ['worktree', 'prune']);
  }
}
