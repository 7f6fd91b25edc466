/** Recording an approval: the approver's SSH signature over the promotion's statement, kept with the statement, and audited. */
import { signingKey } from '../git';
import { appendAudit, intactAudit, type AuditInput } from './audit';
import { listApprovals, recordApproval } from './gates/store';
import { promotionFacts, type GovernedSource } from './governance';
import { signApproval } from './sshsig';
import { approvalStatement } from './statement';

export interface ApproveOptions {
  actor: string;
  comment?: string;
  /** The SSH key to sign with (a private key, or a public key held by ssh-agent); default git's user.signingkey, else the agent's first key. */
  key?: string;
  /** The repository folder whose git config may name the signing key. */
  dir?: string;
  now?: () => Date;
}

/**
 * Signs the statement of promoting what `source` runs now into `stage` and records it. Whether
 * the signature counts is decided by the approval gate, against the protected allowed_signers.
 */
export async function approvePromotion(
  home: string,
  project: string,
  stage: string,
  source: GovernedSource & { env: string },
  opts: ApproveOptions,
): Promise<{ approvers: string[]; statement: string }> {
  const commit = source.commit ?? 'unknown';
  const statement = approvalStatement(promotionFacts(project, stage, source));
  await signAndRecord(home, project, stage, statement, { env: source.env, commit }, opts, {
    from: { kind: source.kind, name: source.name, env: source.env, commit: source.commit },
    images: source.images,
    note: opts.comment,
  });
  const approvers = [
    ...new Set(
      listApprovals(home, project, source.env, commit, stage)
        .filter((a) => a.signature)
        .map((a) => a.approver),
    ),
  ];
  return { approvers, statement };
}

/**
 * Signs `statement` with the approver's key, keeps the approval (under `where`) and audits it as an
 * `approve` entry with `audit`'s facts; nothing is signed or kept when the audit log is not intact.
 */
export async function signAndRecord(
  home: string,
  project: string,
  stage: string,
  statement: string,
  where: { env: string; commit: string },
  opts: ApproveOptions,
  audit: Pick<AuditInput, 'from' | 'release' | 'images' | 'note'>,
): Promise<void> {
  intactAudit(home, project); // an approval that cannot be audited is not recorded
  const signature = await signApproval(statement, opts.key ?? (opts.dir ? await signingKey(opts.dir) : undefined));
  const at = (opts.now ?? (() => new Date()))().toISOString();
  recordApproval(home, {
    project,
    ...where,
    stage,
    approver: opts.actor,
    at,
    comment: opts.comment,
    statement,
    signature,
  });
  await appendAudit(home, project, { at, actor: opts.actor, action: 'approve', stage, ...audit });
}
