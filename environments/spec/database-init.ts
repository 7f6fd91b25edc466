/**
 * `databases.<name>.init`: scripts that set up a new database (its schema, extensions, fixed
 * rows), run once by the database image's entrypoint when the cluster is first created, as the
 * official postgres image runs /docker-entrypoint-initdb.d. Their checks and their mounts.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { insideProject } from './service-extras';
import { isRecord, type Problem } from './source';

/** Where the postgres images look for these scripts. */
export const INIT_DIR = '/docker-entrypoint-initdb.d';
/** What the entrypoint runs; any other file there is ignored. */
const SCRIPT = /\.(sh|sql|sql\.gz|sql\.xz)$/;
const KINDS = '.sql, .sql.gz, .sql.xz or .sh';

/** What the schema cannot check of `init`: each path is inside the project and is a script (or one folder), and no seed. */
export function initProblems(database: string, raw: unknown, dir: string): Problem[] {
  if (!isRecord(raw) || raw.init === undefined) return [];
  const init = raw.init;
  const problems: Problem[] = [];
  if (raw.seed !== undefined)
    problems.push({
      path: ['databases', database, 'init'],
      at: 'key',
      message: `init and seed cannot both set up ${database}: a seeded database starts from its seed's schema and rows, so its init scripts would never run; keep one`,
    });
  const paths = typeof init === 'string' ? [init] : Array.isArray(init) ? init : [];
  paths.forEach((written, i) => {
    if (typeof written !== 'string' || !written) return;
    const path = typeof init === 'string' ? ['databases', database, 'init'] : ['databases', database, 'init', i];
    const abs = insideProject(dir, written);
    const problem = (message: string) => problems.push({ path, at: 'value', message });
    if (!abs)
      return problem(`init script "${written}" is outside the project folder ${dir}; only files inside it can be used`);
    if (!existsSync(abs)) return problem(`init script "${written}" not found: ${abs} does not exist`);
    if (statSync(abs).isDirectory()) {
      if (typeof init !== 'string')
        problem(`"${written}" is a folder: give one folder alone (init: ${written}), or list its files`);
      return;
    }
    if (!SCRIPT.test(abs)) problem(`init script "${written}" is not ${KINDS}; the database would not run it`);
  });
  return problems;
}

/** The mounts of a checked `init`: one folder as the scripts folder itself, else each file in it, numbered in the list's order. */
export function initMounts(init: string | string[], dir: string): Array<{ source: string; target: string }> {
  if (typeof init === 'string') {
    const source = insideProject(dir, init) as string;
    if (statSync(source).isDirectory()) return [{ source, target: INIT_DIR }];
    return [{ source, target: `${INIT_DIR}/${basename(source)}` }];
  }
  const width = String(init.length).length;
  return init.map((written, i) => {
    const source = insideProject(dir, written) as string;
    return { source, target: `${INIT_DIR}/${String(i + 1).padStart(width, '0')}-${basename(source)}` };
  });
}
