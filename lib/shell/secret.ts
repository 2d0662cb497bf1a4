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
  constructor(
    readonly label: string,
    value: string,
  ) {
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

/**
 * Register a secret value (and its placeholder label) so redact() scrubs it from any text, whatever
 * its length: a short sudo password is still a password (only the empty string cannot be scrubbed).
 */
export function registerSecret(value: string, label = 'secret'): void {
  if (value.length === 0 || registry.get(value) === label) return;
  registry.set(value, label);
  longestFirst = [...registry.keys()].sort((a, b) => b.length - a.length);
}

/**
 * Secrets recognised by their shape, even when kubemend never registered them (kubeadm prints
 * `[bootstrap-token] Using token: ...` from `init phase bootstrap-token`, a host may print a key).
 */
const SHAPES: [needle: string, shape: RegExp, placeholder: string][] = [
  // each with a text every match contains: a text without it is not scanned (most texts, at every event)
  ['.', /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, '<bootstrap-token>'],
  ['PRIVATE KEY-----', /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(-----END \1PRIVATE KEY-----|$)/g, '<private-key>'],
  ['client-key-data:', /(client-key-data:\s*)[A-Za-z0-9+/=]{16,}/g, '$1<client-key>'],
];

/** Replace every registered secret value in `text` with its placeholder (the transport uses this on command output, so a new secret can still be captured). */
export function redactRegistered(text: string): string {
  if (registry.size === 0 || !text) return text;
  let out = text;
  for (const v of longestFirst) {
    if (out.includes(v)) out = out.split(v).join(`<${registry.get(v)}>`);
  }
  return out;
}

/** Replace every registered secret value, and every token, private key or client key recognised by its shape, with a placeholder (for anything shown or stored). */
export function redact(text: string): string {
  if (!text) return text;
  let out = redactRegistered(text);
  for (const [needle, re, to] of SHAPES) if (out.includes(needle)) out = out.replace(re, to);
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
