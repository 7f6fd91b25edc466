// `slipway rollback --approve`: sign an approval of the emergency rollback a stage would do now (its release back to the one before).
import { currentActor } from '../git';
import { projectSlug } from '../naming';
import { approveEmergencyRollback } from '../pipeline/emergency';
import { checkStage, engine, specOf, str, type Context } from './context';
import type { OptionTable } from './options';
import { printJson } from './print';

export const rollbackApproveOptions = {
  approve: {
    type: 'boolean',
    help: "sign an approval of this stage's emergency rollback instead of rolling back (with --key FILE, --comment TEXT); inside a freeze, `--emergency` needs the stage's approval count of them",
    conflicts: ['emergency'],
  },
  comment: { type: 'string', arg: 'TEXT', help: 'with --approve: a note kept with the approval' },
  key: {
    type: 'string',
    arg: 'FILE',
    help: "with --approve: the SSH key to sign with (default: git config user.signingkey, else the ssh-agent's first key)",
  },
} as const satisfies OptionTable;

export async function approveRollback(ctx: Context): Promise<number> {
  const spec = await specOf(ctx);
  const stage = checkStage(ctx, spec, String(ctx.values.stage));
  const { home } = await engine(ctx);
  const actor = str(ctx, 'as') ?? (await currentActor(spec.dir));
  const { rollback, statement } = await approveEmergencyRollback(home, projectSlug(spec.name), stage, {
    actor,
    comment: str(ctx, 'comment'),
    key: str(ctx, 'key'),
    dir: spec.dir,
  });
  const approval = { stage, actor, from: rollback.current.number, to: rollback.target.number, statement };
  if (ctx.json) printJson(ctx, { approval });
  else
    ctx.out(
      `Signed approval recorded for ${actor}: emergency rollback of ${stage} from release ${approval.from} to release ${approval.to} (the one who runs the rollback does not count)`,
    );
  return 0;
}
