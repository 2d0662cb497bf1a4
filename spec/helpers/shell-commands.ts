/**
 * The programs a planned command runs, with their arguments, for the plan check: a command line
 * as kubemend displays it (quoteArgv), and inside it every `sh -c SCRIPT sh ARGS...` (or bash)
 * script, parsed with a real shell parser (mvdan/sh, the `mvdan-sh` package).
 *
 * What it reads: simple commands anywhere in the script (lists, pipelines, `&&`/`||`, if/for/
 * while/case bodies, subshells, `$(...)` substitutions, function bodies); words made of literals,
 * single or double quotes and backslash escapes; `$1`..`$9`, `"$@"` and `"$*"` replaced by the
 * script's arguments; wrappers `sudo`, `env`, `timeout`, `nice`, `nohup`, `setsid`, `exec`,
 * `command` skipped; nested `sh -c`/`bash -c` scripts followed. Any other expansion (`$var`,
 * `${x:-y}`, `$(...)`, `$((...))`) is an unknown value: kept as a placeholder word that is never a
 * flag. What it cannot read, it reports as a problem, never as a pass: a program name that is not
 * literal (`$cmd ...`), `eval`, `xargs`, `sh -c "$var"` (a script that is not literal), and any
 * other place where a watched program's name appears as a word.
 */
import sh, { type File, type Node, type NodeTypes, type Word as ShWord } from 'mvdan-sh';

const { syntax } = sh;

/** True when `node` is of the syntax type `type` (mvdan-sh's NodeType: the Go type's name). */
function isNode<K extends keyof NodeTypes>(node: Node | null, type: K): node is NodeTypes[K] {
  return node !== null && syntax.NodeType(node) === type;
}

/** One program run: its name (basename of argv[0]) and its arguments after wrappers. */
export interface ShellCall {
  program: string;
  args: string[];
  /** The text of the script the call was found in (undefined: the command line itself). */
  script?: string;
}

/** What was found: the calls, and what could not be read. */
export interface ShellScan {
  calls: ShellCall[];
  problems: string[];
}

/** A word after expansion: its text, or undefined when it holds a value only known at run time. */
interface Word {
  text?: string;
  /** What it looked like (for placeholders and messages). */
  source: string;
  /** `"$@"`: several words. */
  many?: string[];
}

const WRAPPERS = new Set(['sudo', 'env', 'timeout', 'nice', 'nohup', 'setsid', 'exec', 'command']);
const SHELLS = new Set(['sh', 'bash', 'dash']);

function unescapeLit(v: string): string {
  return v.replace(/\\(.)/gs, (_, c: string) => (c === '\n' ? '' : c));
}

function partText(p: Node, positional: string[], inDouble: boolean, src: string): { text?: string; many?: string[] } {
  if (isNode(p, 'Lit')) return { text: inDouble ? p.Value.replace(/\\([$`"\\\n])/g, '$1') : unescapeLit(p.Value) };
  if (isNode(p, 'SglQuoted')) return { text: p.Value };
  if (isNode(p, 'DblQuoted')) {
    let out = '';
    let many: string[] | undefined;
    for (const q of p.Parts) {
      const r = partText(q, positional, true, src);
      if (r.many) many = r.many;
      if (r.text === undefined && !r.many) return {};
      out += r.text ?? '';
    }
    return many ? { many } : { text: out };
  }
  if (isNode(p, 'ParamExp')) {
    const name = p.Param.Value;
    const plain = !p.Exp && !p.Repl && !p.Slice && !p.Index && !p.Length && !p.Excl && !p.Width;
    if (plain && /^[1-9]$/.test(name)) return { text: positional[Number(name) - 1] ?? '' };
    if (plain && (name === '@' || name === '*')) return name === '@' ? { many: positional } : { text: positional.join(' ') };
    return {};
  }
  return {};
}

function wordOf(w: ShWord, positional: string[], src: string): Word {
  const source = src.slice(w.Pos().Offset(), w.End().Offset());
  let text = '';
  for (const p of w.Parts) {
    const r = partText(p, positional, false, src);
    if (r.many) return { source, many: r.many };
    if (r.text === undefined) return { source };
    text += r.text;
  }
  return { source, text };
}

function basename(s: string): string {
  return s.slice(s.lastIndexOf('/') + 1);
}

/** Skip wrapper programs (`sudo -n`, `env A=b`, `timeout 10`...): the index of the real program's word. */
function skipWrappers(words: string[]): number {
  let i = 0;
  while (i < words.length && WRAPPERS.has(basename(words[i]))) {
    const w = basename(words[i++]);
    if (w === 'sudo') while (i < words.length && words[i].startsWith('-')) i += ['-u', '-g', '-C', '-p'].includes(words[i]) ? 2 : 1;
    else if (w === 'env') while (i < words.length && (words[i].startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]))) i++;
    else if (w === 'timeout') {
      while (i < words.length && words[i].startsWith('-')) i += ['-k', '-s'].includes(words[i]) ? 2 : 1;
      i++; // the duration
    } else if (w === 'nice') while (i < words.length && words[i].startsWith('-')) i += words[i] === '-n' ? 2 : 1;
    else if (w === 'command' || w === 'exec') while (i < words.length && words[i].startsWith('-')) i++;
  }
  return i;
}

/** Scan one script (`positional` = its $1, $2, ...) for calls of the `watched` programs. */
function scanScript(script: string, positional: string[], watched: Set<string>, out: ShellScan, where: string, nested: boolean): void {
  let file: File;
  try {
    file = syntax.NewParser().Parse(script, 'script');
  } catch (e) {
    out.problems.push(`${where}: the shell parser cannot read it: ${(e as Error).message ?? e}`);
    return;
  }
  const placeholder = (w: Word) => `<${w.source}>`;
  syntax.Walk(file, (node) => {
    if (!isNode(node, 'CallExpr') || node.Args.length === 0) return true;
    const words: Word[] = node.Args.map((w) => wordOf(w, positional, script));
    const flat: { text?: string; source: string }[] = words.flatMap((w) => (w.many ? w.many.map((m) => ({ text: m, source: w.source })) : [w]));
    const texts = flat.map((w) => w.text ?? placeholder(w));
    const at = skipWrappers(texts);
    if (at >= flat.length) return true;
    const prog = flat[at];
    if (prog.text === undefined) {
      out.problems.push(`${where}: a program whose name is not literal (${prog.source}): cannot tell whether it is ${[...watched].join(' or ')}`);
      return true;
    }
    const name = basename(prog.text);
    const args = texts.slice(at + 1);
    if (watched.has(name)) out.calls.push({ program: name, args, ...(nested ? { script } : {}) });
    else if (SHELLS.has(name) && args[0] === '-c') {
      if (flat[at + 2]?.text === undefined) out.problems.push(`${where}: ${name} -c with a script that is not literal (${flat[at + 2]?.source ?? 'none'})`);
      else scanScript(flat[at + 2].text!, texts.slice(at + 4), watched, out, `${where} > ${name} -c`, true);
    } else {
      // a watched program named anywhere else (eval "kubeadm ...", xargs crictl rm, echo kubeadm): not read
      const mention = flat.slice(at + 1).find((w) => w.text?.split(/\s+/).some((t) => watched.has(basename(t))));
      if (mention)
        out.problems.push(
          `${where}: ${name} ... ${mention.source}: names ${[...watched].find((p) => mention.text!.split(/\s+/).some((t) => basename(t) === p))} where it cannot be read (${name} runs it)`,
        );
    }
    return true;
  });
}

/**
 * Every call of a `watched` program in a command line as kubemend displays it (one argv, each
 * argument single-quoted when needed): the command itself, or inside its `sh -c` scripts.
 */
export function scanCommandLine(display: string, watched: readonly string[]): ShellScan {
  const out: ShellScan = { calls: [], problems: [] };
  scanScript(display, [], new Set(watched), out, 'command', false);
  return out;
}

/** Every call of a `watched` program in a shell script whose positional parameters are unknown. */
export function scanScriptText(script: string, watched: readonly string[], where: string): ShellScan {
  const out: ShellScan = { calls: [], problems: [] };
  scanScript(
    script,
    Array.from({ length: 9 }, (_, i) => `<$${i + 1}>`),
    new Set(watched),
    out,
    where,
    true,
  );
  return out;
}
