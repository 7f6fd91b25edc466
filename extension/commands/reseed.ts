/**
 * Slipway: Re-seed Database: clears a running environment's seeded database and fills it again
 * from its spec's seed (the project's masked snapshot), under a progress notification that shows
 * each table's rows and rows/s; Cancel stops it. A failed masking check lands in Problems.
 */
import * as vscode from 'vscode';
import { envLabel } from '../format';
import { core } from '../lazy';
import type { Slipway } from '../slipway';
import { registerCommand, showError, withOperation } from './registry';
import { targetEnvironment } from './targets';

/** What a dashboard passes: its environment and the database. */
interface ReseedTarget {
  branch: string;
  database?: string;
}

/** A seeded database's item in the Environments view. */
function fromView(arg: unknown): ReseedTarget | undefined {
  const n = arg as { kind?: unknown; item?: { status?: { branch?: unknown } }; seed?: { database?: unknown } } | null;
  if (n?.kind !== 'database' || typeof n.item?.status?.branch !== 'string' || typeof n.seed?.database !== 'string')
    return undefined;
  return { branch: n.item.status.branch, database: n.seed.database };
}

function isReseedTarget(arg: unknown): arg is ReseedTarget {
  if (typeof arg !== 'object' || arg === null || 'kind' in arg) return false;
  const t = arg as Record<string, unknown>;
  return typeof t.branch === 'string' && (t.database === undefined || typeof t.database === 'string');
}

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.data.reseed',
    async (s, given) => {
      const arg = fromView(given) ?? given;
      const item = await targetEnvironment(s, isReseedTarget(arg) ? arg.branch : arg, 'Re-seed Database');
      if (!item) return;
      const spec = await s.spec();
      const seeded = spec.databases.filter((d) => d.seed).map((d) => d.name);
      let database = isReseedTarget(arg) ? arg.database : undefined;
      if (database === undefined) {
        if (seeded.length === 0) {
          void vscode.window.showInformationMessage(
            `slipway.yaml seeds no database: add databases.<name>.seed: { source, policy } to seed one.`,
          );
          return;
        }
        database =
          seeded.length === 1
            ? seeded[0]
            : await vscode.window.showQuickPick(seeded, {
                title: 'Slipway: Re-seed Database',
                placeHolder: 'Database',
              });
        if (!database) return;
      }
      const engine = await s.engine();
      const { branch } = item.status;
      const started = Date.now();
      try {
        const done = await withOperation(s, `Slipway: re-seeding ${database} of ${envLabel(branch)}`, (opts) =>
          core().reseedDatabase(
            { home: engine.home, dockerHost: engine.dockerHost, spec, branch, database: database! },
            opts,
          ),
        );
        s.seedProblems.passed(done.policy);
        void vscode.window.showInformationMessage(
          `${database} of ${envLabel(branch)} re-seeded: ${done.rows.toLocaleString('en')} rows in ${done.tables} tables from ${done.source} (${((Date.now() - started) / 1000).toFixed(1)}s).`,
        );
      } catch (err) {
        if (!s.seedProblems.show(err)) throw err;
        await showError(s, err, {
          'Show Problems': () => vscode.commands.executeCommand('workbench.actions.view.problems'),
        });
      } finally {
        await s.model.refresh();
      }
    },
    { trusted: true },
  );
}
