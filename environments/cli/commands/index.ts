// Every `slipway` command, in the order `slipway --help` lists them.
import type { Command } from '../context';
import { approve } from './approve';
import { completion } from './completion';
import { data } from './data';
import { state } from './state';
import { mocks } from './mocks';
import { down } from './down';
import { drift } from './drift';
import { extend } from './extend';
import { gateway } from './gateway';
import { gc } from './gc';
import { gates } from './gates';
import { history } from './history';
import { init } from './init';
import { list } from './list';
import { logs } from './logs';
import { promote } from './promote';
import { restart } from './restart';
import { rollback } from './rollback';
import { share } from './share';
import { status } from './status';
import { up } from './up';
import { url } from './url';
import { version } from './version';

export const commands: Record<string, Command> = {
  init,
  up,
  down,
  extend,
  gc,
  logs,
  restart,
  url,
  share,
  gateway,
  status,
  drift,
  gates,
  promote,
  approve,
  rollback,
  history,
  list,
  data,
  state,
  mocks,
  completion,
  version,
};
