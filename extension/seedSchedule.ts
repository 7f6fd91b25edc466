/**
 * The seeds' `schedule` in the editor: while a trusted workspace is open, each database whose seed
 * has a cron schedule is re-seeded in every running branch environment when it fires (as
 * `slipway data sync --watch` does), one run at a time, with its progress in the status bar. The
 * timer is set again when slipway.yaml changes.
 */
import * as vscode from 'vscode';
import type { SeedScheduler } from '../environments/data/schedule';
import { describeEvent } from './format';
import { core } from './lazy';
import type { Slipway } from './slipway';

export class SeedSchedule implements vscode.Disposable {
  private scheduler?: SeedScheduler;
  private readonly disposables: vscode.Disposable[] = [];
  private generation = 0;

  constructor(private readonly slipway: Slipway) {
    const specs = vscode.workspace.createFileSystemWatcher('**/slipway.{yaml,yml}');
    const again = () => void this.rearm();
    this.disposables.push(specs, specs.onDidChange(again), specs.onDidCreate(again), specs.onDidDelete(again));
    this.disposables.push(slipway.onDidChangeSpecFile(again));
    void this.rearm();
  }

  /** Reads the spec and sets the timer for its schedules (none: no timer). */
  async rearm(): Promise<void> {
    const generation = ++this.generation;
    this.scheduler?.stop();
    this.scheduler = undefined;
    const spec = await this.slipway.spec().catch(() => undefined);
    if (!spec || generation !== this.generation) return;
    if (!spec.databases.some((d) => d.seed?.schedule)) return;
    const { SeedScheduler } = core();
    this.scheduler = new SeedScheduler(
      spec,
      ({ databases }) => this.sync(databases),
      (err) => this.failed(err),
    ).start();
    for (const n of this.scheduler.upcoming())
      this.slipway.log.info(`seed schedule: ${n.database} re-seeds next at ${n.at.toISOString()}`);
  }

  /** One scheduled run: the due databases re-seeded in the running branch environments. */
  private async sync(databases: string[]): Promise<void> {
    const spec = await this.slipway.spec();
    const engine = await this.slipway.engine();
    const log = this.slipway.log;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Slipway: scheduled re-seed of ${databases.join(', ')}` },
      async (progress) => {
        const results = await core().syncOnce(spec, {
          home: engine.home,
          docker: core().connectDocker(engine.dockerHost),
          only: databases,
          onEvent: (e) => {
            const text = describeEvent(e);
            if (!text) return;
            log.info(`scheduled re-seed: ${text}`);
            progress.report({ message: text });
          },
        });
        for (const r of results) {
          const policy = spec.databases.find((d) => d.name === r.database)?.seed?.policy;
          if (policy) this.slipway.seedProblems.passed(policy);
          log.info(
            r.reseeded.length
              ? `scheduled re-seed: ${r.database} from snapshot ${r.snapshot} (${r.rows} rows) into ${r.reseeded.join(', ')}`
              : `scheduled re-seed: ${r.database}: no running environment to re-seed`,
          );
        }
      },
    );
    await this.slipway.model.refresh();
  }

  private failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.slipway.log.error(`scheduled re-seed failed: ${message}`);
    const shown = this.slipway.seedProblems.show(err);
    void vscode.window
      .showWarningMessage(
        `Slipway: the scheduled re-seed failed: ${message.split('\n')[0]}`,
        ...(shown ? ['Show Problems'] : []),
        'Show Log',
      )
      .then((choice) => {
        if (choice === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems');
        else if (choice === 'Show Log') this.slipway.log.show(true);
      });
  }

  dispose(): void {
    this.generation++;
    this.scheduler?.stop();
    this.disposables.forEach((d) => d.dispose());
  }
}
