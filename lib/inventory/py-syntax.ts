/**
 * The two bits of Python that Ansible's INI inventory parser leans on, rewritten so an INI line
 * means here what it means to Ansible: `shlex.split(line, comments=True)` (host lines) and
 * `ast.literal_eval` (every value: `2222` is a number, `'{"pool": "gpu"}'` a mapping, `True` a boolean).
 */

/** Thrown by shlexSplit for the inputs Python's shlex refuses. */
export class ShlexError extends Error {}

const WHITESPACE = ' \t\r\n';
const QUOTES = `'"`;

/**
 * Python's `shlex.split(s, comments=True)` (POSIX mode, whitespace_split): quotes removed, a
 * backslash escapes the next character (inside double quotes only `"` and `\`), and an unquoted
 * `#` starts a comment even in the middle of a word. Throws ShlexError on an unclosed quote.
 */
export function shlexSplit(s: string): string[] {
  const out: string[] = [];
  let token = '';
  let quoted = false;
  let state: 'ws' | 'word' | 'esc' | "'" | '"' = 'ws';
  let escaped: 'word' | '"' = 'word';
  const emit = (): void => {
    if (token !== '' || quoted) out.push(token);
    token = '';
    quoted = false;
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (state === 'ws' || state === 'word') {
      if (WHITESPACE.includes(c)) {
        if (state === 'word') emit();
        state = 'ws';
      } else if (c === '#') {
        const nl = s.indexOf('\n', i);
        if (state === 'word') emit();
        state = 'ws';
        if (nl < 0) break;
        i = nl;
      } else if (c === '\\') {
        escaped = 'word';
        state = 'esc';
      } else if (QUOTES.includes(c)) {
        quoted = true;
        state = c as "'" | '"';
      } else {
        token += c;
        state = 'word';
      }
    } else if (state === 'esc') {
      if (escaped === '"' && c !== '"' && c !== '\\') token += '\\';
      token += c;
      state = escaped;
    } else {
      if (c === state) state = 'word';
      else if (state === '"' && c === '\\') {
        escaped = '"';
        state = 'esc';
      } else token += c;
    }
  }
  if (state === "'" || state === '"') throw new ShlexError('no closing quotation');
  if (state === 'esc') throw new ShlexError('no escaped character');
  if (state === 'word') emit();
  return out;
}

/** A Python literal, read by a small recursive-descent parser; undefined when `src` is not one. */
export function literalEval(src: string): { value: unknown } | undefined {
  let i = 0;
  const fail = (): never => {
    throw new SyntaxError('not a literal');
  };
  const skip = (): void => {
    for (;;) {
      while (i < src.length && ' \t\f\r\n'.includes(src[i]!)) i++;
      if (src[i] === '#') {
        while (i < src.length && src[i] !== '\n') i++;
      } else if (src[i] === '\\' && src[i + 1] === '\n') i += 2;
      else return;
    }
  };
  const string = (): string => {
    let text = '';
    // adjacent literals concatenate: 'a' "b" is 'ab'
    while (src[i] === '"' || src[i] === "'" || (/[rRuU]/.test(src[i] ?? '') && (src[i + 1] === '"' || src[i + 1] === "'"))) {
      let raw = false;
      if (/[rR]/.test(src[i]!)) {
        raw = true;
        i++;
      } else if (/[uU]/.test(src[i]!)) i++;
      const q = src[i]!;
      const triple = src.startsWith(q.repeat(3), i);
      const close = triple ? q.repeat(3) : q;
      i += close.length;
      for (;;) {
        if (i >= src.length) fail();
        if (src.startsWith(close, i)) {
          i += close.length;
          break;
        }
        const c = src[i]!;
        if (!triple && c === '\n') fail();
        if (c === '\\' && !raw) {
          const n = src[i + 1];
          const simple: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '\\': '\\',
            "'": "'",
            '"': '"',
            a: '\x07',
            b: '\b',
            f: '\f',
            v: '\v',
            '0': '\0',
            '\n': '',
          };
          if (n !== undefined && n in simple && !(n === '0' && /[0-7]/.test(src[i + 2] ?? ''))) {
            text += simple[n];
            i += 2;
          } else if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) {
            text += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
            i += 4;
          } else if ((n === 'u' || n === 'U') && /^[0-9a-fA-F]+$/.test(src.slice(i + 2, i + (n === 'u' ? 6 : 10)))) {
            const len = n === 'u' ? 4 : 8;
            text += String.fromCodePoint(parseInt(src.slice(i + 2, i + 2 + len), 16));
            i += 2 + len;
          } else if (n !== undefined && /[0-7]/.test(n)) {
            const m = /^[0-7]{1,3}/.exec(src.slice(i + 1))![0];
            text += String.fromCharCode(parseInt(m, 8));
            i += 1 + m.length;
          } else {
            text += c;
            i++;
          }
        } else {
          text += c;
          i++;
        }
      }
      skip();
    }
    return text;
  };
  const number = (): number => {
    const rest = src.slice(i);
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+/.exec(rest) ??
      /^0[oO](?:_?[0-7])+/.exec(rest) ??
      /^0[bB](?:_?[01])+/.exec(rest) ??
      /^(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?/.exec(rest);
    if (!m || m[0] === '') fail();
    const t = m![0].replace(/_/g, '');
    i += m![0].length;
    if (/[jJ]/.test(src[i] ?? '') || /^[A-Za-z_]/.test(src.slice(i))) fail(); // complex numbers, 1abc
    if (/^0[xXoObB]/.test(t)) return Number(t.toLowerCase().replace(/^0o/, '0o'));
    if (/^0\d*$/.test(t) && /[1-9]/.test(t)) fail(); // 0022: leading zeros are a SyntaxError in Python 3
    return Number(t);
  };
  const value = (): unknown => {
    skip();
    const c = src[i];
    if (c === undefined) fail();
    if (c === '-' || c === '+') {
      i++;
      skip();
      if (!/[0-9.]/.test(src[i] ?? '')) fail();
      const n = number();
      return c === '-' ? -n : n;
    }
    if (/[0-9]/.test(c!) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) return number();
    if (c === '"' || c === "'" || (/[rRuU]/.test(c!) && (src[i + 1] === '"' || src[i + 1] === "'"))) return string();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      i += word.length;
      return word === 'True' ? true : word === 'False' ? false : null;
    }
    if (c === '[' || c === '(' || c === '{') {
      const close = c === '[' ? ']' : c === '(' ? ')' : '}';
      i++;
      const items: unknown[] = [];
      const entries: [unknown, unknown][] = [];
      let isDict: boolean | undefined = c === '{' ? undefined : false;
      let sawComma = false;
      skip();
      while (src[i] !== close) {
        const k = value();
        skip();
        if (c === '{' && isDict !== false && src[i] === ':') {
          isDict = true;
          i++;
          entries.push([k, value()]);
          skip();
        } else {
          if (isDict === true) fail();
          isDict = false;
          items.push(k);
        }
        if (src[i] === ',') {
          i++;
          sawComma = true;
          skip();
        } else if (src[i] !== close) fail();
      }
      i++;
      if (c === '(' && items.length === 1 && !sawComma) return items[0]; // (x) is x, not a tuple
      if (c === '{' && isDict !== false) {
        const o: Record<string, unknown> = {};
        for (const [k, v] of entries) o[typeof k === 'string' ? k : JSON.stringify(k)] = v;
        return o;
      }
      return items;
    }
    return fail();
  };
  try {
    const v = value();
    skip();
    return i === src.length ? { value: v } : undefined;
  } catch {
    return undefined;
  }
}

/** Ansible's INI `_parse_value`: the Python literal `v` denotes, or `v` itself when it is not one. */
export function iniValue(v: string): unknown {
  const t = v.replace(/^[ \t]+/, '');
  const r = literalEval(t);
  return r ? r.value : v;
}
