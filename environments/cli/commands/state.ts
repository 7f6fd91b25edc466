// `slipway state <status|migrate>`: where Slipway's state lives (files or a team's PostgreSQL), and moving it there.
import type { Command } from '../context';
import { common, usageError } from '../options';
import { stateMigrate } from './state-migrate';
import { stateStatus } from './state-status';

export const state: Command = {
  summary: "Where Slipway's state lives (status), and moving a SLIPWAY_HOME into a team's PostgreSQL (migrate)",
  options: { help: common.help },
  subcommands: { status: stateStatus, migrate: stateMigrate },
  run() {
    return Promise.reject(usageError('state', 'a subcommand is needed (status or migrate)'));
  },
};
