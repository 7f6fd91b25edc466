/** Short human texts for the view, the status bar and messages. */

/** `3m`, `5h`, `2d 4h`. */
export function shortDuration(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** `up 5h · 2d 4h left`, `expired 3h ago`. */
export function ageAndTtl(createdAt: string | undefined, expiresAt: number | undefined, now = Date.now()): string {
  const parts: string[] = [];
  if (createdAt) parts.push(`up ${shortDuration(now - Date.parse(createdAt))}`);
  if (expiresAt !== undefined) parts.push(expiresAt > now ? `${shortDuration(expiresAt - now)} left` : `expired ${shortDuration(now - expiresAt)} ago`);
  return parts.join(' · ');
}

/** The label of an environment: its branch, or `stage: <name>` for a pipeline stage. */
export function envLabel(branch: string): string {
  return branch.startsWith('stage:') ? `stage: ${branch.slice('stage:'.length)}` : branch;
}
