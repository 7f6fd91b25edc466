// The CLI's ES-module entry (dist/extension/cli/slipway.mjs, loaded by the `slipway` executable): runs the command line.
import { main } from './main';
import { runAsProcess } from './process';

runAsProcess(main);
