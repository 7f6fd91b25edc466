// One line of a database seed's progress for the terminal: a step, or a table's rows and rows/s.
import type { SlipwayEvent } from '../events';

export function seedLine(e: Extract<SlipwayEvent, { type: 'seed' }>): string {
  if (e.message) return `seed ${e.database}: ${e.message}`;
  return `seed ${e.database} ${e.table}: ${e.rows ?? 0} rows (${e.rowsPerSecond ?? 0} rows/s)${e.done ? ' done' : ''}`;
}
