// `slipway mocks reset NAME`: forget what a stateful mock was sent (its stored resources) in the branch environment.
import type { Command } from '../context';
import { common, engineOptions } from '../options';
import { printJson } from '../print';
import { resetMock } from '../../mocks/client';
import { mockOption, mockTarget } from './mocks-target';

export const mocksReset: Command = {
  summary: "Clear a stateful mock's stored resources in the branch environment",
  positional: 'mock',
  options: { mock: mockOption, branch: common.branch, spec: common.spec, ...engineOptions },
  async run(ctx) {
    const { mock, url } = await mockTarget(ctx);
    await resetMock(url);
    if (ctx.json) printJson(ctx, { mock: mock.name, reset: true });
    else ctx.out(`${mock.name}: state cleared`);
    return 0;
  },
};
