// Moving Pulumi's stacks from the file backend under SLIPWAY_HOME into its PostgreSQL backend: `pulumi stack export`, then `stack init` and `stack import` there.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../errors';
import { findPulumiRoot } from '../pulumi/locate';
import { fileBackendStacks, pulumiHome, secretsPassphrase } from '../paths';
import { maskUrl, pulumiBackendUrl } from './url';

export interface StacksMoved {
  /** `project/stack` of each stack copied. */
  copied: string[];
  /** Stacks the database already held. */
  present: string[];
}

/**
 * Copies every stack of `home`'s file backend into Pulumi's PostgreSQL backend at `stateUrl`,
 * keeping its checkpoint (resources, outputs, encrypted secrets and their passphrase salt): the
 * team then reads them with this state's passphrase. The file backend is left as it was.
 */
export function migrateStacks(home: string, stateUrl: string): StacksMoved {
  const fileBackend = `file://${join(home, 'state')}`;
  const stacks = fileBackendStacks(fileBackend);
  const out: StacksMoved = { copied: [], present: [] };
  if (stacks.length === 0) return out;
  const pulumi = join(findPulumiRoot(), 'bin', 'pulumi');
  const env = {
    ...process.env,
    PULUMI_HOME: pulumiHome(home),
    PULUMI_CONFIG_PASSPHRASE: secretsPassphrase(home, fileBackend),
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
  };
  const scratch = mkdtempSync(join(tmpdir(), 'slipway-migrate-'));
  const run = (backend: string, args: string[], cwd = scratch) =>
    spawnSync(pulumi, [...args, '--non-interactive'], {
      cwd,
      env: { ...env, PULUMI_BACKEND_URL: backend },
      encoding: 'utf8',
    });
  const target = pulumiBackendUrl(stateUrl);
  try {
    for (const ref of stacks) {
      const [project, stack] = ref.split('/');
      const name = `organization/${project}/${stack}`;
      const cwd = join(scratch, project);
      rmSync(cwd, { recursive: true, force: true });
      spawnSync('mkdir', ['-p', cwd]);
      writeFileSync(join(cwd, 'Pulumi.yaml'), `name: ${project}\nruntime: nodejs\n`);
      const step = (backend: string, args: string[]): string => {
        const r = run(backend, args, cwd);
        if (r.status !== 0)
          throw new SlipwayError(
            'operation-failed',
            `Moving the Pulumi stack ${ref} to ${maskUrl(target)} failed at \`pulumi ${args.slice(0, 2).join(' ')}\`: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' ')}`,
            {
              hint: 'The files under SLIPWAY_HOME are unchanged. Fix the cause and run `slipway state migrate` again: stacks and items already moved are kept.',
            },
          );
        return r.stdout;
      };
      const file = join(scratch, `${project}.${stack}.json`);
      const there = run(target, ['stack', 'export', '--stack', name], cwd);
      if (there.status === 0 && resourceCount(there.stdout) > 0) {
        out.present.push(ref);
        continue;
      }
      step(fileBackend, ['stack', 'export', '--stack', name, '--file', file]);
      if (there.status === 0) {
        // There, but empty: this stack had no resources to move, or a migration was interrupted
        // between making it and importing into it (then the import is done now).
        if (resourceCount(readFileSync(file, 'utf8')) === 0) {
          out.present.push(ref);
          continue;
        }
      } else step(target, ['stack', 'init', name, '--secrets-provider', 'passphrase']);
      step(target, ['stack', 'import', '--stack', name, '--file', file]);
      out.copied.push(ref);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return out;
}

/** The resources a `pulumi stack export` holds (0 for a stack made but never imported into). */
function resourceCount(exported: string): number {
  try {
    return (JSON.parse(exported) as { deployment?: { resources?: unknown[] } }).deployment?.resources?.length ?? 0;
  } catch {
    return 0;
  }
}
