// The `mocks` gate: each named mock, replayed against its real API, still answers as that API does.
import { mockConfig } from '../../spec/mocks';
import { errorText, outcome, type GateEvaluator } from './types';

export const mocksGate: GateEvaluator<'mocks'> = async (gate, ctx, run) => {
  const { verifyMock } = await import('../../mocks/verify');
  const results: Array<{ mock: string; against: string; checked: number; problems: string[] }> = [];
  for (const [name, against] of Object.entries(gate.against)) {
    const mock = gate.mocks.find((m) => m.name === name);
    if (!mock) return outcome('fail', `no mock "${name}" is declared under mocks:`, { results });
    try {
      const report = await verifyMock(mockConfig(mock, ctx.specDir), against, run.signal);
      results.push({
        mock: name,
        against,
        checked: report.checked,
        problems: report.findings.flatMap((f) => f.problems.map((p) => `${f.request}: ${p}`)),
      });
    } catch (err) {
      return outcome('fail', `mock "${name}" could not be checked against ${against}: ${errorText(err)}`, { results });
    }
  }
  const drifted = results.filter((r) => r.problems.length > 0);
  if (drifted.length === 0)
    return outcome(
      'pass',
      `${results.map((r) => `${r.mock}: ${r.checked} request(s)`).join(', ')} answered as the mocks answer`,
      { results },
    );
  return outcome(
    'fail',
    `${drifted.map((r) => `${r.mock} has drifted from ${r.against} (${r.problems.length} difference(s): ${r.problems[0]})`).join('; ')}`,
    { results },
  );
};
