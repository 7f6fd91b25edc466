// What the mocks subcommands share: the --mock option, the spec's mock by that name, and its URL in the branch environment.
import { SlipwayError } from '../../errors';
import type { MockSpec } from '../../spec/mocks';
import type { Spec } from '../../spec/types';
import { engine, requireEnvironment, specAndBranch, str, type Context } from '../context';
import type { OptionDef } from '../options';

export const mockOption: OptionDef = {
  type: 'string',
  arg: 'NAME',
  required: true,
  help: 'the mock, as named under mocks: in the spec (also the first bare argument)',
};

export function specMock(spec: Spec, name: string): MockSpec {
  const mock = spec.mocks?.find((m) => m.name === name);
  if (!mock) {
    const names = spec.mocks?.map((m) => m.name) ?? [];
    throw new SlipwayError(
      'service-not-found',
      `${spec.file} has no mock "${name}": ${names.length ? `it has ${names.join(', ')}` : 'it declares no mocks'}.`,
      { hint: 'Declare it under mocks: in slipway.yaml, e.g. mocks: { payments: { openapi: payments.yaml } }.' },
    );
  }
  return mock;
}

/** The mock's URL on 127.0.0.1 in the branch's environment. */
export async function mockTarget(ctx: Context): Promise<{ spec: Spec; branch: string; mock: MockSpec; url: string }> {
  const { spec, branch } = await specAndBranch(ctx);
  const mock = specMock(spec, String(str(ctx, 'mock')));
  const status = await requireEnvironment(await engine(ctx), spec.name, branch);
  const url = status.mocks?.[mock.name];
  if (!url)
    throw new SlipwayError('not-found', `${spec.name} / ${branch} runs no mock "${mock.name}" yet.`, {
      hint: `Bring the environment up with the mock declared: slipway up --branch ${JSON.stringify(branch)}`,
    });
  return { spec, branch, mock, url };
}
