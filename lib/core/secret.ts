/**
 * Secrets: values that must never reach a log, the journal, the terminal or an error message.
 * A Secret prints as its placeholder everywhere (toString, JSON, util.inspect); only reveal()
 * gives the value, and only the transport calls it, to put the value on the wire.
 */
import { inspect } from 'node:util';

/** Every secret value seen in this process, with its label, so redact() can scrub any text. */
const registry = new Map<string, string>();
/** The registry's values, longest first (so a value inside another is not half-replaced); rebuilt when one is added. */
let longestFirst: string[] = [];

/** A secret value with a visible placeholder such as `<join-token>`. */
export class Secret {
  readonly #value: string;
  /** Wrap `value`; `label` names it in placeholders (`<label>`). */
  constructor(readonly label: string, value: string) {
    this.#value = value;
    registerSecret(value, label);
  }
  /** The real value: for the wire only. */
  reveal(): string {
    return this.#value;
  }
  /** The placeholder shown wherever the value would have been. */
  get placeholder(): string {
    return `<${this.label}>`;
  }
  toString(): string {
    return this.placeholder;
  }
  toJSON(): string {
    return this.placeholder;
  }
  [inspect.custom](): string {
    return this.placeholder;
  }
}

/** Register a secret value (and its placeholder label) so redact() scrubs it from any text. */
export function registerSecret(value: string, label = 'secret'): void {
  if (value.length < 6 || registry.get(value) === label) return;
  registry.set(value, label);
  longestFirst = [...registry.keys()].sort((a, b) => b.length - a.length);
}

/** Replace every registered secret value in `text` with its placeholder. */
export function redact(text: string): string {
  if (registry.size === 0 || !text) return text;
  let out = text;
  for (const v of longestFirst) {
    if (out.includes(v)) out = out.split(v).join(`<${registry.get(v)}>`);
  }
  return out;
}

/** A command argument: plain text, or a Secret shown as its placeholder. */
export type Arg = string | Secret;

/** The display form of an argument (placeholders for secrets). */
export function displayArg(a: Arg): string {
  return typeof a === 'string' ? a : a.placeholder;
}

/** The wire form of an argument (the real value). */
export function wireArg(a: Arg): string {
  return typeof a === 'string' ? a : a.reveal();
}
