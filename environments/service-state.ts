/**
 * Whether a service's container is as it should be: running, or for a job, `completed` (exited
 * with code 0). Imports nothing, so the CLI's printing and the gates can ask without loading Docker code.
 */
export function isUp(s: { state: string }): boolean {
  return s.state === 'running' || s.state === 'completed';
}
