// `slipway mocks <record|reset|fault|log|verify>`: the mocks of third-party APIs, one file per subcommand.
import type { Command } from '../context';
import { common, usageError } from '../options';
import { mocksFault } from './mocks-fault';
import { mocksLog } from './mocks-log';
import { mocksRecord } from './mocks-record';
import { mocksReset } from './mocks-reset';
import { mocksVerify } from './mocks-verify';

export const mocks: Command = {
  summary:
    'Mocks of third-party APIs: record traffic, inject faults, read the request log, reset state, verify against the real API',
  options: { help: common.help },
  subcommands: { record: mocksRecord, reset: mocksReset, fault: mocksFault, log: mocksLog, verify: mocksVerify },
  run() {
    return Promise.reject(usageError('mocks', 'a subcommand is needed (record, reset, fault, log or verify)'));
  },
};
