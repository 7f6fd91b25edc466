/** Governance read from git: the gate rules and allowed_signers at the protected ref, and who authored, committed or signed the promoted range. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { SlipwayError } from '../errors';
import { parseSpec } from '../spec/load';
import type { Spec, StageSpec } from '../spec/types';

function git(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile('git', args, { cwd, encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    ),
  );
}

/** The top of the git work tree holding `dir`; undefined outside git. */
export async function repositoryRoot(dir: string): Promise<string | undefined> {
  const r = await git(dir, ['rev-parse', '--show-toplevel']);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Where the rules come from: `pipeline.rulesFrom`, else origin/HEAD, else main, else master. */
async function rulesRef(root: string, named: string | undefined): Promise<{ ref: string; commit?: string }> {
  const candidates = named ? [named] : [];
  if (!named) {
    const head = await git(root, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']);
    if (head.code === 0 && head.stdout.trim()) candidates.push(head.stdout.trim());
    candidates.push('main', 'master');
  }
  for (const ref of candidates) {
    const r = await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    if (r.code === 0) return { ref, commit: r.stdout.trim() };
  }
  return { ref: candidates[0] };
}

/** The rules that guard promotion, and where they were read. */
export interface ProtectedRules {
  /** `<ref>@<sha>`, or `working tree (not a git repository)`. */
  source: string;
  /** The protected commit; undefined outside git. */
  commit?: string;
  root?: string;
  stages: StageSpec[];
  /** A file of the repository as the protected commit has it (absolute path); undefined if absent there. */
  read(path: string): Promise<string | undefined>;
}

/**
 * The pipeline of the spec as committed at the protected ref, so that a promoter's working-tree
 * edits (a gate deleted, a count lowered, an approver added) change nothing until merged. Outside
 * git there is nothing protected: the working tree's rules apply, and `source` says so.
 */
export async function protectedRules(spec: Spec): Promise<ProtectedRules> {
  const root = await repositoryRoot(spec.dir);
  if (!root) {
    const { readFile } = await import('node:fs/promises');
    return {
      source: 'working tree (not a git repository)',
      stages: spec.pipeline?.stages ?? [],
      read: (p) => readFile(p, 'utf8').catch(() => undefined),
    };
  }
  const { ref, commit } = await rulesRef(root, spec.pipeline?.rulesFrom);
  if (!commit) {
    throw new SlipwayError(
      'pipeline-invalid',
      `The gate rules are read from git ref "${ref}", which ${root} does not have.`,
      {
        hint: 'Commit slipway.yaml on the default branch (or set pipeline.rulesFrom to the protected branch that holds it), then promote again.',
      },
    );
  }
  const show = async (path: string): Promise<string | undefined> => {
    const rel = relative(root, path).split(sep).join('/');
    if (rel.startsWith('..')) return undefined;
    const r = await git(root, ['show', `${commit}:${rel}`]);
    return r.code === 0 ? r.stdout : undefined;
  };
  const text = await show(spec.file);
  if (text === undefined) {
    throw new SlipwayError(
      'pipeline-invalid',
      `${relative(root, spec.file)} does not exist at ${ref} (${commit.slice(0, 12)}), where the gate rules are read from.`,
      {
        hint: `Merge the spec into ${ref} first: the gates that guard a stage count once merged there.`,
      },
    );
  }
  let stages: StageSpec[];
  try {
    stages = parseSpec(text, spec.file).pipeline?.stages ?? [];
  } catch (err) {
    throw new SlipwayError(
      'pipeline-invalid',
      `The spec at ${ref} (${commit.slice(0, 12)}) is not valid: ${(err as Error).message}`,
      {
        hint: `Fix slipway.yaml on ${ref}; until then no promotion can be judged.`,
        cause: err,
      },
    );
  }
  return { source: `${ref}@${commit.slice(0, 12)}`, commit, root, stages, read: show };
}

/** Who may not approve a promotion: everyone who authored, committed or signed a commit of it. */
export interface RangeIdentities {
  /** Lowercased e-mails and signing principals. */
  principals: string[];
  /** `commit signatures` when every commit of the range carries a good signature, else `recorded identities`. */
  basis: 'commit signatures' | 'recorded identities' | 'no git history';
  /** `<merge-base>..<commit>` as short hashes. */
  range: string;
  commits: number;
}

/**
 * The commits from the merge base of `commit` and the protected commit up to `commit`, and the
 * identities of each: signer principals (checked against `allowedSigners`) and recorded author and
 * committer e-mails. A range with no commit of its own (the commit is on the protected branch)
 * is the commit itself.
 */
export async function rangeIdentities(
  root: string | undefined,
  protectedCommit: string | undefined,
  commit: string,
  allowedSigners?: string,
): Promise<RangeIdentities> {
  if (!root || !/^[0-9a-f]{7,64}$/.test(commit))
    return { principals: [], basis: 'no git history', range: commit, commits: 0 };
  const base = protectedCommit ? (await git(root, ['merge-base', protectedCommit, commit])).stdout.trim() : '';
  const spec = base && base !== commit ? `${base}..${commit}` : `${commit}^!`;
  const scratch = mkdtempSync(join(tmpdir(), 'slipway-range-'));
  try {
    const signers = join(scratch, 'allowed_signers');
    writeFileSync(signers, allowedSigners ?? '');
    const r = await git(root, [
      '-c',
      `gpg.ssh.allowedSignersFile=${signers}`,
      'log',
      '--format=%H%x1f%ae%x1f%ce%x1f%G?%x1f%GS',
      spec,
    ]);
    if (r.code !== 0)
      throw new SlipwayError('pipeline-invalid', `Could not read the commits ${spec} in ${root}: ${r.stderr.trim()}`, {
        hint: 'Fetch the source commit and the protected branch, then try again.',
      });
    const rows = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\x1f'));
    const signed = rows.length > 0 && rows.every((row) => row[3] === 'G' || row[3] === 'U');
    const principals = new Set<string>();
    for (const [, author, committer, , signer] of rows) {
      for (const who of [author, committer, signed ? signer : ''])
        if (who?.trim()) principals.add(who.trim().toLowerCase());
    }
    const short = (h: string) => h.slice(0, 12);
    return {
      principals: [...principals],
      basis: signed ? 'commit signatures' : 'recorded identities',
      range: base && base !== commit ? `${short(base)}..${short(commit)}` : short(commit),
      commits: rows.length,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
