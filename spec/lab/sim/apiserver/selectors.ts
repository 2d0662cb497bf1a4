/** Label and field selectors of list and watch requests, with the real syntax. */
import { badRequest } from './status.js';

type Req = (labels: Record<string, string>) => boolean;

/** Parse a label selector (`a=b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`) into a predicate. */
export function parseLabelSelector(sel: string | null | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (!sel) return () => true;
  const reqs: Req[] = [];
  // Split on commas that are not inside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p))) {
      const [, k, op, vs] = m;
      const set = vs.split(',').map((v) => v.trim());
      reqs.push(op === 'in' ? (l) => k in l && set.includes(l[k]) : (l) => !(k in l) || !set.includes(l[k]));
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(p))) {
      const [, k, op, v] = m;
      reqs.push(op === '!=' ? (l) => l[k] !== v : (l) => k in l && l[k] === v);
    } else if ((m = /^!([\w./-]+)$/.exec(p))) {
      const k = m[1];
      reqs.push((l) => !(k in l));
    } else if ((m = /^([\w./-]+)$/.exec(p))) {
      const k = m[1];
      reqs.push((l) => k in l);
    } else throw badRequest(`unable to parse requirement: ${JSON.stringify(p)}`);
  }
  return (labels) => reqs.every((r) => r(labels ?? {}));
}

function fieldValue(obj: any, path: string): string {
  let v = obj;
  for (const k of path.split('.')) v = v?.[k];
  return v === undefined || v === null ? '' : String(v);
}

/** Parse a field selector (`spec.nodeName=x`, `spec.serviceAccountName!=default`, `metadata.name==y`) into a predicate. */
export function parseFieldSelector(sel: string | null | undefined): (obj: any) => boolean {
  if (!sel) return () => true;
  const reqs: ((o: any) => boolean)[] = [];
  for (const raw of sel.split(',')) {
    const p = raw.trim();
    if (!p) continue;
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(p);
    if (!m) throw badRequest(`invalid selector: '${sel}'; can't understand '${p}'`);
    const [, k, op, v] = m;
    reqs.push(op === '!=' ? (o) => fieldValue(o, k) !== v : (o) => fieldValue(o, k) === v);
  }
  return (o) => reqs.every((r) => r(o));
}

/** A metav1.LabelSelector (`matchLabels`, `matchExpressions`). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/**
 * Whether a metav1.LabelSelector selects `labels` (LabelSelectorAsSelector): an empty selector
 * selects everything, a missing one (null) nothing.
 */
export function labelSelectorMatches(sel: LabelSelector | null | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in l;
    switch (e.operator) {
      case 'In':
        if (!has || !(e.values ?? []).includes(l[e.key])) return false;
        break;
      case 'NotIn':
        if (has && (e.values ?? []).includes(l[e.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
