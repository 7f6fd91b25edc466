// `slipway mocks verify NAME --against URL`: replay the mock's recorded and stubbed requests against a real API; exit 3 when it has drifted.
import { mockConfig } from '../../spec/mocks';
import { specOf, str, type Command } from '../context';
import { EXIT } from '../exit';
import { common, usageError } from '../options';
import { printJson } from '../print';
import { mockOption, specMock } from './mocks-target';

export const mocksVerify: Command = {
  summary:
    'Check a mock against the real API: replay its recorded and stubbed requests, report answers that differ (exit 3)',
  positional: 'mock',
  options: {
    mock: mockOption,
    against: { type: 'string', arg: 'URL', required: true, help: 'the real API (http:// or https://)' },
    spec: common.spec,
    json: common.json,
    help: common.help,
  },
  async run(ctx) {
    const against = String(str(ctx, 'against'));
    if (!/^https?:\/\/[^/]/.test(against))
      throw usageError(ctx.command, '--against must be an http:// or https:// URL');
    const spec = await specOf(ctx);
    const mock = specMock(spec, String(str(ctx, 'mock')));
    const { verifyMock } = await import('../../mocks/verify');
    const report = await verifyMock(mockConfig(mock, spec.dir), against, ctx.signal);
    if (ctx.json) printJson(ctx, { mock: mock.name, ok: report.findings.length === 0, ...report });
    else {
      ctx.out(
        report.findings.length === 0
          ? `${mock.name}: ${report.checked} request(s) answered as the mock answers`
          : `${mock.name}: ${report.findings.length} of ${report.checked} request(s) answered differently:`,
      );
      for (const f of report.findings) for (const p of f.problems) ctx.out(`  ${f.request}: ${p}`);
      if (report.skipped.length) ctx.out(`  not replayed (path patterns): ${report.skipped.join(', ')}`);
    }
    return report.findings.length === 0 ? EXIT.ok : EXIT.drift;
  },
};
