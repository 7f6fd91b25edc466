/** The generated-password kind of Slipway's dynamic provider: a random secret made once and kept. Serialized into Pulumi's state with the provider (see ../provider.ts): npm packages and Node  modules only through `require()` inside function bodies. */
import { diffBy } from './shared';

/* eslint-disable @typescript-eslint/no-require-imports */

export interface PasswordInputs {
  kind: 'password';
  providerVersion: number;
  length: number;
}

export const passwordProvider = {
  async create(inputs: PasswordInputs) {
    const crypto = require('node:crypto');
    const value: string = crypto.randomBytes(inputs.length).toString('base64url').slice(0, inputs.length);
    return { id: crypto.randomUUID(), outs: { ...inputs, result: value } };
  },
  async diff(_id: string, olds: PasswordInputs, news: PasswordInputs) {
    return diffBy({ ...olds }, { ...news }, ['length'], ['providerVersion']);
  },
  async update(_id: string, olds: PasswordInputs & { result: string }, news: PasswordInputs) {
    return { outs: { ...news, result: olds.result } };
  },
};
