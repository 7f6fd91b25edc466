/** The health check of a database, as both Pulumi programs declare it and as a status runs it while Docker has not yet. */
import type { DatabaseSpec } from '../spec/types';

/** PostgreSQL answers on TCP (the image's first-run setup listens on its socket only). */
export function databaseHealth(db: Pick<DatabaseSpec, 'user' | 'database'>) {
  return {
    command: ['pg_isready', '-q', '-h', '127.0.0.1', '-U', db.user, '-d', db.database],
    intervalMs: 500,
    timeoutMs: 60000,
  };
}
