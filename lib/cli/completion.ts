/**
 * Shell completion: `kubemend completion bash|zsh|fish` prints a script that asks
 * `kubemend __complete WORDS...` (the words after `kubemend`, the last one being completed) for
 * candidates: commands, options, playbook names, phase ids (`--only/--skip/--from`), the
 * inventory's host names and groups (`--limit`, comma lists and `!` included), run ids (`resume`,
 * `--run`, `--resume`) and option values. `__files__` / `__dirs__` ask the shell for paths.
 */
import type { Command, Option } from 'commander';
import { defaultStateDir } from '../core/journal.js';
import { listRuns } from '../core/runs.js';
import { BUILTIN_GROUPS } from '../inventory/select.js';
import type { Inventory } from '../inventory/types.js';
import { listPlaybooks } from '../../playbooks/index.js';
import { EXIT, ExitError } from './exit.js';
import { out } from './io.js';

/** The answer that asks the shell to complete file names / folder names. */
export const FILES = '__files__';
export const DIRS = '__dirs__';

/** The --limit groups every inventory has. */
const GROUPS: string[] = [...BUILTIN_GROUPS];

const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** What completing needs besides the program: the inventory (for host names). */
export interface CompleteDeps {
  loadInventory(path: string): Promise<Inventory>;
}

const longOf = (o: Option) => o.long ?? o.short;
const visibleOptions = (c: Command) => c.options.filter((o) => !o.hidden);

/** The option of `c` named by a word (`--limit`, `-l`), if any. */
function optionOf(c: Command, word: string): Option | undefined {
  return c.options.find((o) => o.long === word || o.short === word);
}

/** The value given to an option among the words (`-i FILE`, `--inventory=FILE`). */
function optionValue(words: readonly string[], c: Command, name: string): string | undefined {
  const o = c.options.find((x) => x.attributeName() === name);
  if (!o) return undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if ((w === o.long || w === o.short) && i + 1 < words.length) return words[i + 1];
    if (o.long && w.startsWith(`${o.long}=`)) return w.slice(o.long.length + 1);
  }
  return undefined;
}

/** The operands among the words after the command (option values skipped). */
function operandsOf(c: Command, words: readonly string[]): string[] {
  const ops: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') return [...ops, ...words.slice(i + 1)];
    if (w.startsWith('-')) {
      const o = optionOf(c, w);
      if (o && (o.required || o.optional) && !w.includes('=')) i++;
      continue;
    }
    ops.push(w);
  }
  return ops;
}

/** Candidates for the last segment of a comma list (`w1,w` -> `w1,w2`), `!` kept; what is already given (or under a given phase id) is not offered again. */
function commaList(cur: string, items: readonly string[]): string[] {
  const cut = cur.lastIndexOf(',') + 1;
  const head = cur.slice(0, cut);
  const bang = cur.slice(cut).startsWith('!') ? '!' : '';
  const given = head
    .split(',')
    .map((s) => s.replace(/^!/, ''))
    .filter(Boolean);
  return items.filter((x) => !given.some((g) => x === g || x.startsWith(`${g}/`))).map((x) => `${head}${bang}${x}`);
}

/** Run ids in the state folder named among the words (or the default), newest first; only resumable ones when `resumable`. */
function runIds(words: readonly string[], c: Command, resumable: boolean): string[] {
  const dir = optionValue(words, c, 'stateDir') ?? defaultStateDir();
  return listRuns(dir)
    .runs.filter((r) => !resumable || r.resumable)
    .map((r) => r.runId)
    .reverse();
}

async function hostNames(words: readonly string[], c: Command, deps: CompleteDeps): Promise<string[]> {
  const file = optionValue(words, c, 'inventory') ?? process.env.KUBEMEND_INVENTORY;
  if (!file) return GROUPS;
  try {
    const inv = await deps.loadInventory(file);
    // an Ansible inventory's own groups too (kube_node, k8s_cluster, ...)
    const own = Object.keys(inv.groups ?? {}).filter((g) => !GROUPS.includes(g) && g !== 'ungrouped');
    return [...GROUPS, ...own, ...inv.hosts.map((h) => h.name)];
  } catch {
    return GROUPS; // a broken inventory: the groups only, never an error while typing
  }
}

/** Phase ids of the playbook named by the command's first operand, with each id's parents (`etcd` for `etcd/ca`). */
function phaseIds(words: readonly string[], c: Command): string[] {
  const pb = listPlaybooks().find((p) => p.name === operandsOf(c, words)[0]);
  if (!pb) return [];
  const ids = new Set<string>();
  for (const ph of pb.phases) {
    const parts = ph.id.split('/');
    for (let i = 1; i <= parts.length; i++) ids.add(parts.slice(0, i).join('/'));
  }
  return [...ids];
}

/** Candidates for the value of option `o` (undefined: not an option taking a value). */
async function optionValues(o: Option, words: readonly string[], c: Command, cur: string, deps: CompleteDeps): Promise<string[] | undefined> {
  if (!o.required && !o.optional) return undefined;
  if (o.argChoices) return [...o.argChoices];
  switch (o.attributeName()) {
    case 'inventory':
    case 'out':
    case 'plan':
      return [FILES];
    case 'stateDir':
      return [DIRS];
    case 'limit':
      return commaList(cur, await hostNames(words, c, deps));
    case 'only':
    case 'skip':
      return commaList(cur, phaseIds(words, c));
    case 'from':
      return phaseIds(words, c);
    case 'run':
      return runIds(words, c, false);
    case 'resume':
      return runIds(words, c, true);
    default:
      return [];
  }
}

/** The candidates for the last of `words` (the words after `kubemend`), filtered by what is typed. */
export async function complete(program: Command, words: readonly string[], deps: CompleteDeps): Promise<string[]> {
  const cur = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const pick = (all: readonly string[]) =>
    all.length === 1 && (all[0] === FILES || all[0] === DIRS) ? [...all] : [...new Set(all)].filter((x) => x.startsWith(cur));
  const commands = program.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
  if (before.length === 0) return pick(cur.startsWith('-') ? ['--help', '--version'] : commands.map((c) => c.name()));
  const c = commands.find((x) => x.name() === before[0]);
  if (!c) return [];
  const rest = before.slice(1);
  const ops = operandsOf(c, rest);
  // exec: everything after its first operand belongs to the remote command
  if (c.name() === 'exec' && ops.length > 0) return [];
  const prev = rest.at(-1);
  const prevOpt = prev && !prev.includes('=') ? optionOf(c, prev) : undefined;
  if (prevOpt) {
    const vals = await optionValues(prevOpt, rest, c, cur, deps);
    if (vals) return pick(vals);
  }
  const eq = cur.match(/^(--[^=]+)=(.*)$/);
  if (eq) {
    const o = optionOf(c, eq[1]!);
    const vals = o ? await optionValues(o, rest, c, eq[2]!, deps) : undefined;
    return vals && !(vals[0] === FILES || vals[0] === DIRS) ? vals.filter((v) => v.startsWith(eq[2]!)).map((v) => `${eq[1]}=${v}`) : [];
  }
  if (cur.startsWith('-'))
    return pick(
      visibleOptions(c)
        .map(longOf)
        .filter((x): x is string => !!x),
    );
  if (ops.length > 0) return [];
  switch (c.name()) {
    case 'plan':
    case 'run':
      return pick(
        listPlaybooks()
          .filter((p) => !p.hidden)
          .map((p) => p.name),
      );
    case 'resume':
      return pick(runIds(rest, c, true));
    case 'help':
      return pick(commands.map((x) => x.name()));
    case 'completion':
      return pick(SHELLS);
    default:
      return [];
  }
}

/** The bash script: `source <(kubemend completion bash)`, or save it in /etc/bash_completion.d/kubemend. */
function bashScript(): string {
  return `# kubemend completion for bash. Load it with:  source <(kubemend completion bash)
_kubemend() {
  local cur=\${COMP_WORDS[COMP_CWORD]} IFS=$'\\n' out
  out=$("\${COMP_WORDS[0]}" __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  case "$out" in
    ${FILES}) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    ${DIRS}) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    *) COMPREPLY=($out) ;;
  esac
}
complete -o default -F _kubemend kubemend
`;
}

/** The zsh script: `source <(kubemend completion zsh)` after compinit, or save it as _kubemend in $fpath. */
function zshScript(): string {
  return `#compdef kubemend
# kubemend completion for zsh. Load it with:  source <(kubemend completion zsh)   (after compinit)
_kubemend() {
  local -a out
  out=("\${(@f)$("\${words[1]}" __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  case "\${out[1]}" in
    ${FILES}) _files ;;
    ${DIRS}) _files -/ ;;
    *) (( \${#out} )) && [[ -n "\${out[1]}" ]] && compadd -Q -- "\${out[@]}" ;;
  esac
}
compdef _kubemend kubemend
`;
}

/** The fish script: `kubemend completion fish | source`, or save it in ~/.config/fish/completions/kubemend.fish. */
function fishScript(): string {
  return `# kubemend completion for fish. Load it with:  kubemend completion fish | source
function __kubemend_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out ($words[1] __complete $words[2..-1] 2>/dev/null)
    switch "$out[1]"
        case ${FILES}
            __fish_complete_path (commandline -ct)
        case ${DIRS}
            __fish_complete_directories (commandline -ct)
        case '*'
            printf '%s\\n' $out
    end
end
complete -c kubemend -f -a '(__kubemend_complete)'
`;
}

/** The completion script of a shell. */
export function completionScript(shell: string): string {
  if (shell === 'bash') return bashScript();
  if (shell === 'zsh') return zshScript();
  if (shell === 'fish') return fishScript();
  throw new ExitError(EXIT.usage, `completion: unknown shell ${JSON.stringify(shell)}; one of ${SHELLS.join(', ')}`);
}

/** Print the candidates for `kubemend __complete WORDS...`, one a line; never fails (a shell is waiting). */
export async function completeCommand(program: Command, words: readonly string[], getDeps: () => Promise<CompleteDeps>): Promise<number> {
  try {
    const found = await complete(program, words, await getDeps());
    if (found.length) out(found.join('\n'));
  } catch {
    /* nothing to offer */
  }
  return EXIT.ok;
}

/** Register `completion SHELL` on the program. */
export function registerCompletion(program: Command, setExit: (code: number) => void): void {
  program
    .command('completion <shell>')
    .description('print the shell completion script (bash, zsh or fish): commands, options, playbooks, phase ids, host names, run ids')
    .addHelpText(
      'after',
      '\nExamples:\n  $ source <(kubemend completion bash)                 # in ~/.bashrc\n  $ source <(kubemend completion zsh)                  # in ~/.zshrc, after compinit\n  $ kubemend completion fish > ~/.config/fish/completions/kubemend.fish',
    )
    .action((shell: string) => {
      out(completionScript(shell).trimEnd());
      setExit(EXIT.ok);
    });
}
