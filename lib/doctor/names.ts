/** Host name lists in words: `m2, m3`, `w1-w3` for runs of numbered names. */

/** Join names, collapsing runs like w1, w2, w3 into w1-w3. */
export function nameList(names: readonly string[]): string {
  const parsed = names.map((n) => /^(.*?)(\d+)$/.exec(n));
  const out: string[] = [];
  for (let i = 0; i < names.length; ) {
    const m = parsed[i];
    let j = i;
    while (m && j + 1 < names.length) {
      const n = parsed[j + 1];
      if (!n || n[1] !== m[1] || Number(n[2]) !== Number(parsed[j]![2]) + 1) break;
      j++;
    }
    out.push(j - i >= 2 ? `${names[i]}-${names[j]}` : names.slice(i, j + 1).join(', '));
    i = j + 1;
  }
  return out.join(', ');
}
