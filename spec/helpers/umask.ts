/** Test helper: run code under another umask (as a careless shell profile would set), restoring it after. */

/** Run fn under umask `mask` (0: every file created as its mode asks, group and others included), restoring the old umask after. */
export async function underUmask<T>(mask: number, fn: () => Promise<T> | T): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}
