/** Inventory errors: every problem found, each with the file position it came from. */

/** One problem in an inventory file. `line`/`column` are 1-based; `field` is a dotted path like `hosts[2].address`. */
export interface InventoryIssue {
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
}

/** The inventory could not be loaded; `issues` lists every problem found, not just the first. */
export class InventoryError extends Error {
  /** Stable code for callers (the CLI maps it to exit status 2). */
  readonly code = 'EINVENTORY';
  constructor(
    readonly file: string,
    readonly issues: readonly InventoryIssue[],
  ) {
    super(`invalid inventory ${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${formatIssues(issues)}`);
    this.name = 'InventoryError';
  }
  /** One `file:line:column: field: message` line per issue. */
  format(): string {
    return formatIssues(this.issues);
  }
}

/** A --limit pattern matched no host; `patterns` names the ones that matched nothing. */
export class LimitError extends Error {
  /** Stable code for callers (a usage error: exit status 2). */
  readonly code = 'ELIMIT';
  constructor(
    readonly patterns: readonly string[],
    known: string,
  ) {
    super(`--limit: no host matches ${patterns.map((p) => JSON.stringify(p)).join(', ')} (known: ${known})`);
    this.name = 'LimitError';
  }
}

/** Format issues as `file:line:column: field: message`, one per line, sorted by position. */
export function formatIssues(issues: readonly InventoryIssue[]): string {
  return issues.map((i) => `${i.file}:${i.line}:${i.column}: ${i.field}: ${i.message}`).join('\n');
}
