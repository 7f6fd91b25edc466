// Running the CLI as the process's command: stream errors, the exit status, and a command that ended without finishing.
import { EXIT } from './exit';

export function runAsProcess(main: (argv: string[]) => Promise<number>): void {
  let settled = false;
  // A hung-up terminal makes writes fail: that must not turn a clean cancel into a crash.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  // Node exits quietly, with status 0, when nothing is left to wait for: a command whose work
  // ended that way did not finish, and must not look as if it had.
  process.on('beforeExit', () => {
    if (settled) return;
    settled = true;
    console.error(
      'slipway: the command stopped before it finished (nothing left to wait for); this is a bug in Slipway.',
    );
    process.exitCode = 70;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (err) => {
      settled = true;
      console.error(err);
      process.exitCode = EXIT.failed;
    },
  );
}
