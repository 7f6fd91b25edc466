/**
 * The `vulnerabilities` gate: reads an npm audit JSON report (npm 7+: `metadata.vulnerabilities`
 * counts by severity and a `vulnerabilities` map by package; npm 6's `advisories` map is read too),
 * from the gate's report file or by running `npm audit --json` in its folder. It fails on any
 * finding at or above `maxSeverity`.
 */
import { readFile } from 'node:fs/promises';
import { commandEnv, isFolder, runShell } from './process';
import { errorText, outcome, type GateEvaluator, type GateOutcome } from './types';

const SEVERITIES = ['info', 'low', 'moderate', 'high', 'critical'] as const;
type Severity = (typeof SEVERITIES)[number];

/** How many offending package names the evidence lists. */
const MAX_PACKAGES = 20;

interface AuditFindings {
  counts: Record<Severity, number>;
  /** Package name and severity of each finding. */
  packages: Array<{ name: string; severity: Severity }>;
}

export const vulnerabilitiesGate: GateEvaluator<'vulnerabilities'> = async (gate, ctx, run) => {
  const cwd = gate.cwd ?? ctx.specDir;
  const source = gate.report ?? `npm audit --json (in ${cwd})`;
  const report = gate.report ? await readReport(gate.report) : await runAudit(cwd, ctx.processEnv, run.signal);
  if ('state' in report) return report;
  const findings = auditFindings(report.json);
  if (!findings) {
    const reason = `${source} is not an npm audit JSON report (no metadata.vulnerabilities); use npm 7 or later with --json`;
    return outcome('fail', reason, { source });
  }
  return judge(findings, gate.maxSeverity, source);
};

/** Counts at and above `maxSeverity` decide; the evidence has every count and the offending packages. */
function judge(findings: AuditFindings, maxSeverity: Severity, source: string): GateOutcome {
  const blocking = SEVERITIES.slice(SEVERITIES.indexOf(maxSeverity));
  const offenders = findings.packages
    .filter((p) => blocking.includes(p.severity))
    .sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || a.name.localeCompare(b.name));
  const count = blocking.reduce((sum, s) => sum + findings.counts[s], 0);
  const evidence = {
    source,
    maxSeverity,
    counts: findings.counts,
    packages: offenders.slice(0, MAX_PACKAGES).map((p) => `${p.name} (${p.severity})`),
    packageCount: offenders.length,
  };
  const total = SEVERITIES.reduce((sum, s) => sum + findings.counts[s], 0);
  if (count === 0) return outcome('pass', `no vulnerability at or above ${maxSeverity} (${total} below it)`, evidence);
  const by = blocking.filter((s) => findings.counts[s] > 0).map((s) => `${findings.counts[s]} ${s}`);
  return outcome(
    'fail',
    `${count} vulnerabilit${count === 1 ? 'y' : 'ies'} at or above ${maxSeverity}: ${by.join(', ')}`,
    evidence,
  );
}

async function readReport(path: string): Promise<{ json: unknown } | GateOutcome> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    const reason = missing
      ? `no npm audit report at ${path}; write it first with "npm audit --json > ${path}", or drop "report" to run npm audit here`
      : `npm audit report ${path} cannot be read: ${errorText(err)}`;
    return outcome('fail', reason, { source: path });
  }
  try {
    return { json: JSON.parse(text) };
  } catch (err) {
    return outcome('fail', `npm audit report ${path} is not JSON: ${errorText(err)}`, { source: path });
  }
}

/** Runs `npm audit --json`; a non-zero exit is normal when there are findings, so only its output counts. */
async function runAudit(
  cwd: string,
  vars: Record<string, string | undefined>,
  signal: AbortSignal,
): Promise<{ json: unknown } | GateOutcome> {
  const source = `npm audit --json (in ${cwd})`;
  if (!isFolder(cwd)) return outcome('fail', `cannot run npm audit: folder ${cwd} does not exist`, { source });
  const result = await runShell('npm audit --json', { cwd, env: commandEnv(vars), signal, keepStdout: true });
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    const exit = result.exitCode ?? result.signal;
    const reason = `npm audit printed no JSON report (exit ${exit}); is npm installed and is there a package-lock.json in ${cwd}?`;
    return outcome('fail', reason, { source, outputTail: result.tail.join('\n') });
  }
  const error = (json as { error?: { code?: unknown; summary?: unknown } } | null)?.error;
  if (error) {
    const reason = `npm audit failed: ${String(error.summary ?? error.code ?? 'unknown error').split('\n')[0]}`;
    return outcome('fail', reason, { source, error: { code: error.code, summary: error.summary } });
  }
  return { json };
}

/** The counts and packages of an npm audit report; undefined when it is not one. */
function auditFindings(json: unknown): AuditFindings | undefined {
  if (!isRecord(json) || !isRecord(json.metadata) || !isRecord(json.metadata.vulnerabilities)) return undefined;
  const raw = json.metadata.vulnerabilities;
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, typeof raw[s] === 'number' ? raw[s] : 0])) as Record<
    Severity,
    number
  >;
  // The most severe finding of each package. npm 7+: { vulnerabilities: { <name>: { name, severity } } };
  // npm 6: { advisories: { <id>: { module_name, severity } } }.
  const worst = new Map<string, Severity>();
  const add = (name: unknown, severity: unknown): void => {
    if (typeof name !== 'string' || !isSeverity(severity)) return;
    const known = worst.get(name);
    if (!known || SEVERITIES.indexOf(severity) > SEVERITIES.indexOf(known)) worst.set(name, severity);
  };
  for (const [key, entry] of Object.entries(isRecord(json.vulnerabilities) ? json.vulnerabilities : {})) {
    if (isRecord(entry)) add(entry.name ?? key, entry.severity);
  }
  for (const entry of Object.values(isRecord(json.advisories) ? json.advisories : {})) {
    if (isRecord(entry)) add(entry.module_name, entry.severity);
  }
  const packages = [...worst].map(([name, severity]) => ({ name, severity }));
  return { counts, packages };
}

function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
