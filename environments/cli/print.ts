// How the CLI prints statuses, drift reports and gate results for people (--json prints the objects themselves).
import type Table from 'cli-table3';
import type { EnvironmentStatus } from '../engine';
import type { DriftReport } from '../pipeline/drift';
import type { GateResult } from '../pipeline/gates';
import type { Context } from './context';
import { isUp } from '../service-state';
import { envelopeText, okEnvelope } from './json';
import { withTimings } from './timings';

export function printGates(ctx: Context, results: GateResult[]): void {
  const p = ctx.paint;
  const icon: Record<GateResult['state'], string> = {
    pass: p.green('✓'),
    fail: p.red('✗'),
    pending: p.yellow('…'),
    skipped: p.dim('-'),
  };
  for (const r of results)
    ctx.out(
      `  ${icon[r.state]} ${r.name.padEnd(16)} ${r.state.padEnd(8)} ${r.reason}  (${(r.durationMs / 1000).toFixed(1)}s)`,
    );
}

export function printDrift(ctx: Context, r: DriftReport): void {
  if (!r.exists) return ctx.out(`${r.project} / ${r.branch}: no environment`);
  if (!r.drifted) return ctx.out(`${r.project} / ${r.branch}: no drift (checked ${r.checkedAt})`);
  ctx.out(`${r.project} / ${r.branch}: ${r.items.length} difference(s) (checked ${r.checkedAt})`);
  for (const i of r.items) {
    const where = i.source === 'reality' ? 'running differs from state' : 'spec differs from state';
    ctx.out(
      `  ${i.kind} ${i.resource}  ${i.property}: declared ${i.declared}, actual ${i.actual}  [${where}; remedies: ${i.remedies.join(', ')}]`,
    );
  }
}

export function printStatus(ctx: Context, s: EnvironmentStatus): void {
  const p = ctx.paint;
  const state =
    s.status === 'running' ? p.green(s.status) : s.status === 'failed' ? p.red(s.status) : p.yellow(s.status);
  ctx.out(`${p.bold(`${s.project} / ${s.branch}`)}  (${s.env})  ${state}${s.damaged ? `  ${p.red('damaged')}` : ''}`);
  if (s.commit?.endsWith('+dirty'))
    ctx.out(
      `  built from uncommitted changes on ${s.commit.slice(0, 12)} (dirty): commit, then up again, to promote it`,
    );
  if (s.damaged)
    ctx.out(`  record damaged: ${s.damaged.file}:${s.damaged.line}: ${s.damaged.problem}\n  ${s.damaged.hint}`);
  for (const svc of s.services) {
    const url = s.urls[svc.service] ? `  ${s.urls[svc.service]}` : '';
    ctx.out(`  ${svc.service.padEnd(12)} ${svc.state}${svc.health !== 'none' ? ` (${svc.health})` : ''}${url}`);
  }
  for (const [db, seed] of Object.entries(s.seeds ?? {}))
    ctx.out(
      `  data ${db}: ${seed.snapshot ? `${seed.clone === 'copy' ? 'copied from' : seed.clone === 'overlay' ? 'layered on' : 'cloned from'} snapshot ${seed.snapshot}` : 'masked anew'}`,
    );
  if (s.engine) ctx.out(`  engine: ${s.engine}`);
  if (s.lastOperation?.error)
    ctx.out(`  last ${s.lastOperation.op} ${s.lastOperation.status}: ${s.lastOperation.error}`);
}

/** The command's result as the `{ "data", "error": null }` envelope on stdout (one line when it closes an event stream). */
export function printJson(ctx: Context, value: unknown): void {
  ctx.out(envelopeText(okEnvelope(withTimings(value)), ctx.events));
}

/** `list`: one row per environment, columns aligned as `docker ps` aligns them (cli-table3, borderless). */
export function printEnvironments(ctx: Context, all: EnvironmentStatus[], now = Date.now()): void {
  const p = ctx.paint;
  const none = {
    top: '',
    'top-mid': '',
    'top-left': '',
    'top-right': '',
    bottom: '',
    'bottom-mid': '',
    'bottom-left': '',
    'bottom-right': '',
    left: '',
    'left-mid': '',
    mid: '',
    'mid-mid': '',
    right: '',
    'right-mid': '',
    middle: '  ',
  };
  // Required here: only this text output uses it, and every other command would load it (and what it needs) for nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const TableOf = require('cli-table3') as typeof Table;
  const table = new TableOf({
    head: ['ENVIRONMENT', 'STATUS', 'SERVICES', 'URL', 'OWNER', 'EXPIRES'].map((h) => p.bold(h)),
    chars: none,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const s of all) {
    const state =
      s.status === 'running' ? p.green(s.status) : s.status === 'failed' ? p.red(s.status) : p.yellow(s.status);
    // A job that completed is as it should be: counted with the running services.
    const up = s.services.filter(isUp).length;
    const dirty = s.commit?.endsWith('+dirty') ? ` ${p.yellow('dirty')}` : '';
    table.push([
      `${s.project} / ${s.branch}`,
      `${state}${s.damaged ? ` ${p.red('damaged')}` : ''}${dirty}`,
      `${up}/${s.services.length} running`,
      Object.values(s.urls)[0] ?? '-',
      s.owner ?? '-',
      s.ttl ? inWords(Date.parse(s.ttl.expiresAt) - now) : '-',
    ]);
  }
  for (const line of table.toString().split('\n')) ctx.out(line.trimEnd());
  for (const s of all.filter((e) => e.damaged))
    ctx.out(`${s.project} / ${s.branch}: record damaged: ${s.damaged!.file}:${s.damaged!.line}: ${s.damaged!.problem}`);
}

function inWords(ms: number): string {
  if (ms <= 0) return 'expired';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return h >= 48 ? `in ${Math.floor(h / 24)}d` : h > 0 ? `in ${h}h ${m}m` : `in ${m}m`;
}
