// The versioned migrations of the PostgreSQL team state, oldest first; each runs in its own transaction.
import * as m0001 from './0001-team-state';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [m0001];
