/**
 * A checkbox you can search: typing filters the list (names, facts, or --limit patterns such as
 * `workers` or `w1*`, as the caller decides), space ticks the highlighted line, ctrl-a ticks or
 * unticks every line shown, ctrl-t inverts them, enter accepts every ticked line (shown or
 * not). Built on @inquirer/core, whose checkbox has no search of its own.
 */
import {
  Separator,
  createPrompt,
  isDownKey,
  isEnterKey,
  isSpaceKey,
  isUpKey,
  makeTheme,
  useKeypress,
  useMemo,
  usePagination,
  usePrefix,
  useState,
} from '@inquirer/core';
import figures from '@inquirer/figures';
import { styleText } from 'node:util';

/** A line of the checkbox: a group header or a choice. */
export type CheckboxLine = { separator: string } | { value: string; name: string; short?: string; checked?: boolean };

/** What the prompt is asked. */
export interface SearchCheckboxConfig {
  message: string;
  choices: readonly CheckboxLine[];
  /** Whether a choice is shown for the typed term (default: its name contains the term, case-insensitive). */
  filter?: (term: string, choice: { value: string; name: string }) => boolean;
  /** Lines of choices shown at once (default 10). */
  pageSize?: number;
}

type Item = { kind: 'header'; text: string; group: number } | { kind: 'choice'; value: string; name: string; short: string; checked: boolean; group: number };

/** Choices and headers as items, each in the group of the header above it. */
function itemsOf(lines: readonly CheckboxLine[]): Item[] {
  let group = 0;
  return lines.map((l) =>
    'separator' in l
      ? { kind: 'header', text: l.separator, group: ++group }
      : { kind: 'choice', value: l.value, name: l.name, short: l.short ?? l.name, checked: !!l.checked, group },
  );
}

const contains = (term: string, c: { name: string }) => c.name.toLowerCase().includes(term.toLowerCase());

/** The searchable checkbox prompt: resolves with the values of every ticked choice. */
export const searchCheckbox = createPrompt<string[], SearchCheckboxConfig>((config, done) => {
  const theme = makeTheme({});
  const [status, setStatus] = useState<'idle' | 'done'>('idle');
  const prefix = usePrefix({ status, theme });
  const [items, setItems] = useState<Item[]>(itemsOf(config.choices));
  const [term, setTerm] = useState('');
  const [active, setActive] = useState(0);
  const filter = config.filter ?? contains;
  // what the term shows: matching choices, and the header of each group that has one
  const shown = useMemo(() => {
    const match = (it: Item) => it.kind === 'choice' && (!term.trim() || filter(term.trim(), it));
    const groups = new Set(items.filter(match).map((it) => it.group));
    return items.filter((it) => match(it) || (it.kind === 'header' && groups.has(it.group)));
  }, [items, term]);
  const choices = shown.filter((it): it is Extract<Item, { kind: 'choice' }> => it.kind === 'choice');
  const at = Math.min(active, Math.max(0, choices.length - 1));
  const current = choices[at];
  const setChecked = (pick: (it: Extract<Item, { kind: 'choice' }>) => boolean | undefined) =>
    setItems(
      items.map((it) => {
        if (it.kind !== 'choice') return it;
        const v = pick(it);
        return v === undefined ? it : { ...it, checked: v };
      }),
    );

  useKeypress((key, rl) => {
    if (status !== 'idle') return;
    if (isEnterKey(key)) {
      setStatus('done');
      done(items.filter((it) => it.kind === 'choice' && it.checked).map((it) => (it as { value: string }).value));
      return;
    }
    if (isUpKey(key) || isDownKey(key)) {
      rl.clearLine(0);
      rl.write(term);
      if (choices.length) setActive(Math.min(choices.length - 1, Math.max(0, at + (isUpKey(key) ? -1 : 1))));
      return;
    }
    if (isSpaceKey(key)) {
      // space ticks; it never becomes part of the search
      rl.clearLine(0);
      rl.write(term);
      if (current) setChecked((it) => (it === current ? !it.checked : undefined));
      return;
    }
    if (key.ctrl && (key.name === 'a' || key.name === 't')) {
      // readline moved its cursor (ctrl-a: line start; ctrl-t: transposed): put the search back as it was
      rl.clearLine(0);
      rl.write(term);
      const visible = new Set(choices);
      const all = key.name === 'a' ? choices.some((c) => !c.checked) : undefined;
      setChecked((it) => (visible.has(it) ? (all ?? !it.checked) : undefined));
      return;
    }
    if (key.name === 'escape') {
      rl.clearLine(0);
      setTerm('');
      setActive(0);
      return;
    }
    if (rl.line !== term) {
      setTerm(rl.line);
      setActive(0);
    }
  });

  const message = theme.style.message(config.message, status);
  if (status === 'done') {
    const picked = items.filter((it) => it.kind === 'choice' && it.checked).map((it) => (it as { short: string }).short);
    return [prefix, message, theme.style.answer(picked.join(', ') || '(none)')].join(' ');
  }
  const activeItem = current ? shown.indexOf(current) : 0;
  const page = usePagination<Item>({
    items: shown.length ? shown : [{ kind: 'header', text: '', group: 0 }],
    active: Math.max(0, activeItem),
    renderItem({ item }) {
      if (!shown.length) return styleText('yellow', `  no host matches ${JSON.stringify(term.trim())} (esc clears the search)`);
      if (item.kind === 'header') return ` ${item.text}`;
      const box = item.checked ? styleText('green', figures.circleFilled) : figures.circle;
      const line = `${item === current ? figures.pointer : ' '}${box} ${item.name}`;
      return item === current ? theme.style.highlight(line) : line;
    },
    pageSize: config.pageSize ?? 10,
    loop: false,
  });
  const total = items.filter((it) => it.kind === 'choice').length;
  const ticked = items.filter((it) => it.kind === 'choice' && it.checked).length;
  const header = `${prefix} ${message} ${styleText('cyan', term)}`;
  const counts = styleText('dim', `${choices.length} of ${total} shown, ${ticked} ticked`);
  const help = styleText('dim', 'type to filter • ↑↓ move • space tick • ctrl-a all/none shown • ctrl-t invert shown • esc clear • enter accept');
  return [header, `${page}\n${counts}\n${help}`];
});

export { Separator };
