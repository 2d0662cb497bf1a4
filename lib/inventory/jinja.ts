/**
 * The little Jinja kubemend evaluates in inventory values: `{{ name }}` where name is another var
 * of the same host, `inventory_hostname` or `inventory_hostname_short` (`ansible_host: "{{ ip }}"`).
 * Anything else (filters, expressions, hostvars[...], {% %}) is refused with the var's file:line,
 * never guessed: neither kubemend nor ansible-inventory renders templates.
 */

/** True when a string holds a Jinja expression, statement or comment. */
export function hasJinja(s: string): boolean {
  return /\{\{|\{%|\{#/.test(s);
}

const WHOLE = /^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/;
const ONE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** A value with its simple templates rendered, or why it cannot be. `lookup` gives the host's other vars. */
export function renderTemplates(
  value: unknown,
  host: string,
  lookup: (name: string) => { value: unknown; vault?: boolean } | undefined,
  depth = 0,
): { value: unknown } | { error: string } {
  if (depth > 10) return { error: 'templates refer to each other more than 10 deep' };
  if (typeof value === 'string') {
    if (!hasJinja(value)) return { value };
    const get = (name: string): { value: unknown } | { error: string } => {
      if (name === 'inventory_hostname') return { value: host };
      if (name === 'inventory_hostname_short') return { value: host.split('.')[0] };
      const v = lookup(name);
      if (!v) return { error: `${name} is not defined for ${host}` };
      if (v.vault) return { error: `${name} is encrypted with Ansible Vault` };
      return renderTemplates(v.value, host, lookup, depth + 1);
    };
    const whole = WHOLE.exec(value);
    if (whole) return get(whole[1]!);
    let error: string | undefined;
    const out = value.replace(ONE, (_m, name: string) => {
      const r = get(name);
      if ('error' in r) {
        error ??= r.error;
        return '';
      }
      return typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
    });
    if (error) return { error };
    if (hasJinja(out)) return { error: 'only {{ var }} is evaluated (no filters, expressions or {% %})' };
    return { value: out };
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const x of value) {
      const r = renderTemplates(x, host, lookup, depth);
      if ('error' in r) return r;
      out.push(r.value);
    }
    return { value: out };
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) {
      const r = renderTemplates(x, host, lookup, depth);
      if ('error' in r) return r;
      out[k] = r.value;
    }
    return { value: out };
  }
  return { value };
}
