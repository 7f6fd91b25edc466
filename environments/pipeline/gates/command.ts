/**
 * The `command` gate: a shell command line run with `sh -c` in the gate's folder (default the
 * spec's); it passes when the command exits with 0. Its timeout and cancellation come from the
 * runner's signal, which stops the command's whole process group.
 */
import { commandEnv, isFolder, runShell } from './process';
import { outcome, type GateEvaluator } from './types';

export const commandGate: GateEvaluator<'command'> = async (gate, ctx, run) => {
  const cwd = gate.cwd ?? ctx.specDir;
  if (!isFolder(cwd)) {
    return outcome('fail', `cannot run "${gate.run}": its folder ${cwd} does not exist`, { command: gate.run, cwd });
  }
  const result = await runShell(gate.run, { cwd, env: commandEnv(ctx.processEnv), signal: run.signal });
  const evidence = {
    command: gate.run,
    cwd,
    exitCode: result.exitCode,
    ...(result.signal ? { signal: result.signal } : {}),
    outputTail: result.tail.join('\n'),
  };
  if (result.exitCode === 0) return outcome('pass', `"${gate.run}" exited with 0`, evidence);
  const how =
    result.exitCode === null ? `was ended by ${result.signal ?? 'a signal'}` : `exited with ${result.exitCode}`;
  return outcome('fail', `"${gate.run}" ${how}`, evidence);
};
