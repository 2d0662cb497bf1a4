/**
 * crictl's output formats: Go tabwriter tables (minwidth 20, padding 3), go-units'
 * HumanDuration ("About a minute ago"), 13-character truncated ids and CRI state names.
 */

/** crictl truncates ids to 13 characters unless --no-trunc. */
export const TRUNC = 13;

/** An id (or `sha256:` image ref) truncated as crictl prints it. */
export function truncId(id: string, noTrunc = false): string {
  const bare = id.startsWith('sha256:') ? id.slice(7) : id;
  return noTrunc ? bare : bare.slice(0, TRUNC);
}

/** go-units HumanDuration, as used by crictl's CREATED column. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3600000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3600000 / 24 / 365)} years`;
}

/** "<duration> ago" from an ISO timestamp. */
export function ago(iso: string, now = Date.now()): string {
  return `${humanDuration(now - Date.parse(iso))} ago`;
}

/**
 * Go's text/tabwriter with crictl's settings (minwidth 20, tabwidth 1, padding 3, ' '):
 * every cell but the last of a row is padded to max(20, widest cell of its column + 3).
 */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows)
    r.slice(0, -1).forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length + 3, 20);
    });
  return rows.map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]) : cell)).join('') + '\n').join('');
}

/** CRI container state as crictl's table shows it. */
export function containerState(s: string): string {
  return { CONTAINER_RUNNING: 'Running', CONTAINER_EXITED: 'Exited', CONTAINER_CREATED: 'Created' }[s] ?? 'Unknown';
}

/** CRI sandbox state as crictl's table shows it. */
export function podState(s: string): string {
  return s === 'SANDBOX_READY' ? 'Ready' : 'NotReady';
}

/** Nanoseconds since the epoch as a decimal string (CRI's createdAt in JSON lists). */
export function nanos(iso: string | undefined): string {
  if (!iso) return '0';
  return (BigInt(Date.parse(iso)) * 1_000_000n).toString();
}
