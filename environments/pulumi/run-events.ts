/** Pulumi engine events turned into Slipway events, and the run's errors, outputs and summary kept; a failed run's useful lines. */
import type { EngineEvent } from '@pulumi/pulumi/automation';
import { emit } from './channel';

function stripColor(text: string): string {
  return (
    text
      .replace(/<\{%[a-z]+%\}>/g, '')
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;]*m/g, '')
      .trim()
  );
}

/** Turns Pulumi engine events into Slipway events, and keeps the run's errors, outputs and summary. */
export class RunEvents {
  readonly diagnostics: string[] = [];
  stackOutputs?: Record<string, unknown>;
  changes: Record<string, number> = {};
  /** Each resource's step in this run (`create`, `same`, `replace`, ...), by resource name. */
  readonly ops = new Map<string, string>();
  readonly onEvent = eventTranslator(this);
}

function eventTranslator(run: RunEvents): (e: EngineEvent) => void {
  const started = new Map<string, number>();
  return (e) => {
    if (e.resOutputsEvent?.metadata.type === 'pulumi:pulumi:Stack')
      run.stackOutputs = e.resOutputsEvent.metadata.new?.outputs;
    const pre = e.resourcePreEvent?.metadata;
    const done = e.resOutputsEvent?.metadata;
    const failed = e.resOpFailedEvent?.metadata;
    const meta = pre ?? done ?? failed;
    if (meta) {
      if (meta.type.startsWith('pulumi:providers:') || meta.type === 'pulumi:pulumi:Stack') return;
      const name = meta.urn.split('::').pop() ?? meta.urn;
      const kind = meta.type.split(':').pop() ?? meta.type;
      const phase = pre ? 'started' : done ? 'finished' : 'failed';
      let durationMs: number | undefined;
      if (done) run.ops.set(name, meta.op);
      if (pre) started.set(meta.urn, Date.now());
      else if (started.has(meta.urn)) durationMs = Date.now() - started.get(meta.urn)!;
      emit({ type: 'resource', phase, op: meta.op, kind, name, urn: meta.urn, durationMs });
      return;
    }
    const diag = e.diagnosticEvent;
    if (diag && (diag.severity === 'error' || diag.severity === 'warning' || diag.severity === 'info')) {
      const message = stripColor(diag.message);
      if (!message) return;
      if (diag.severity === 'error') run.diagnostics.push(message);
      emit({ type: 'diagnostic', severity: diag.severity, message, urn: diag.urn });
      return;
    }
    if (e.summaryEvent) {
      run.changes = e.summaryEvent.resourceChanges as Record<string, number>;
      emit({
        type: 'summary',
        changes: e.summaryEvent.resourceChanges as Record<string, number>,
        durationMs: e.summaryEvent.durationSeconds * 1000,
      });
    }
  };
}

/** The useful lines of a failed Pulumi run: the error diagnostics, without Pulumi's boilerplate. */
export function failureMessage(diagnostics: string[], err: unknown): string {
  const lines = diagnostics
    .flatMap((d) => d.split('\n'))
    .map((l) => l.trim())
    .filter((l) => l && !/^(update failed|error: update failed|Running program)/i.test(l));
  const unique = [...new Set(lines)];
  if (unique.length > 0) return unique.join('\n');
  const text = err instanceof Error ? err.message : String(err);
  const errorLines = text.split('\n').filter((l) => /error:/i.test(l));
  return (errorLines.length ? errorLines : text.split('\n').slice(-5)).join('\n').trim();
}
