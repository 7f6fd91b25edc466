// `slipway data <init|check|seed|sync>`: masked production data for preview databases, one file per subcommand.
import type { Command } from '../context';
import { common, usageError } from '../options';
import { dataCheck } from './data-check';
import { dataInit } from './data-init';
import { dataSeed } from './data-seed';
import { dataSync } from './data-sync';

export const data: Command = {
  summary:
    "Masked production data (preview): draft a masking policy (init), check it against the source (check), re-seed an environment's database (seed), refresh snapshots (sync)",
  options: { help: common.help },
  subcommands: { init: dataInit, check: dataCheck, seed: dataSeed, sync: dataSync },
  run() {
    // main.ts runs a subcommand; reaching this is a command line without one.
    return Promise.reject(usageError('data', 'a subcommand is needed (init, check, seed or sync)'));
  },
};
