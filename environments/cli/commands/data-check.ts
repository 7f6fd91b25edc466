// `slipway data check`: the fail-closed masking check alone: 0 when the policy covers the source safely, 4 listing every unsafe column.
import {
  MaskingPolicyError,
  checkPolicy,
  loadPolicy,
  sourceError,
  type CheckReport,
  type MaskingPolicy,
} from '../../data';
import { str, type Command } from '../context';
import { EXIT } from '../exit';
import { common } from '../options';
import { printJson } from '../print';
import { sourceOption, sourceUrl } from './data-source';

export const dataCheck: Command = {
  summary: 'Check a masking policy against the source database: every column covered, nothing personal kept unreviewed',
  options: {
    source: sourceOption,
    policy: { type: 'string', short: 'p', arg: 'FILE', required: true, help: 'the masking policy (e.g. masking.yaml)' },
    json: common.json,
    help: common.help,
  },
  readOnly: true,
  async run(ctx) {
    const url = sourceUrl(ctx);
    let policy: MaskingPolicy;
    let report: CheckReport;
    try {
      policy = await loadPolicy(String(str(ctx, 'policy')));
      report = await checkPolicy(url, policy, ctx.signal);
    } catch (err) {
      if (MaskingPolicyError.is(err))
        throw new MaskingPolicyError(err.issues, 'Fix the masking policy and run `slipway data check` again.');
      throw sourceError(err, url);
    }
    const ok = report.problems.length === 0;
    if (ctx.json) {
      printJson(ctx, {
        ok,
        tables: report.tables,
        columns: report.columns,
        problems: report.problems.map(({ schema, table, column, why }) => ({ schema, table, column, why })),
      });
    } else if (ok) {
      ctx.out(`ok: ${report.tables} tables, ${report.columns} columns covered`);
    } else {
      ctx.out(`${policy.file} does not cover the source safely (${report.problems.length} column(s)):`);
      for (const p of report.problems) ctx.out(`  ${p.schema}.${p.table}.${p.column}: ${p.why}`);
    }
    return ok ? EXIT.ok : EXIT.blocked;
  },
};
