/**
 * The sudo password only when sudo asks for it (as Ansible's become does): sudo runs with a prompt
 * marker unique to the command (`-p`) and, through a tiny shell, prints a ready marker once it has
 * started the command. The gate reads stderr until one of the two appears: the prompt (write the
 * password line), the ready marker (the command runs: only now its own stdin is written), or a
 * second prompt (the password was refused: stdin is closed so sudo gives up). Markers are stripped
 * from stderr; once the command runs its stderr passes through unread.
 */
import type { SudoExchange } from './sudo.js';

/** What the gate holds at most while waiting for sudo (its lecture, PAM messages); beyond it, stderr passes through. */
const MAX_HELD = 64 << 10;

/** What to do after a chunk of stderr: write the password line, write the command's own stdin, or end stdin. */
export type GateAction = 'password' | 'ready' | 'refuse';

/** Where the exchange stands: sudo may still ask, the command runs, or sudo refused the password. */
export type GateState = 'waiting' | 'running' | 'refused';

/** The stderr side of one command run through `sudo -S` with a SudoExchange. */
export class SudoGate {
  state: GateState = 'waiting';
  #held = Buffer.alloc(0);
  #prompts = 0;
  readonly #prompt: Buffer;
  readonly #ready: Buffer;

  constructor(private readonly x: SudoExchange) {
    this.#prompt = Buffer.from(x.prompt, 'utf8');
    this.#ready = Buffer.from(`${x.ready}\n`, 'utf8');
  }

  /** The line to write when sudo asks (the password and a newline). */
  passwordLine(): Buffer {
    return Buffer.from(`${this.x.password}\n`, 'utf8');
  }

  /** Take a chunk of stderr: what of it to keep as the command's stderr, and what to do now. */
  feed(chunk: Buffer): { keep: Buffer; action?: GateAction } {
    if (this.state === 'running') return { keep: chunk };
    this.#held = Buffer.concat([this.#held, chunk]);
    let action: GateAction | undefined;
    for (let i = this.#held.indexOf(this.#prompt); i >= 0; i = this.#held.indexOf(this.#prompt)) {
      this.#held = Buffer.concat([this.#held.subarray(0, i), this.#held.subarray(i + this.#prompt.length)]);
      this.#prompts++;
      if (this.state === 'waiting') {
        action = this.#prompts === 1 ? 'password' : 'refuse';
        if (action === 'refuse') this.state = 'refused';
      }
    }
    if (this.state === 'refused') return { keep: Buffer.alloc(0), ...(action ? { action } : {}) };
    const r = this.#held.indexOf(this.#ready);
    if (r >= 0) {
      const keep = Buffer.concat([this.#held.subarray(0, r), this.#held.subarray(r + this.#ready.length)]);
      this.#held = Buffer.alloc(0);
      this.state = 'running';
      return { keep, action: 'ready' };
    }
    if (this.#held.length > MAX_HELD) return { keep: this.flush(), ...(action ? { action } : {}) };
    return { keep: Buffer.alloc(0), ...(action ? { action } : {}) };
  }

  /** What is still held (sudo's own words when it never started the command), markers removed. */
  flush(): Buffer {
    const out = this.#held;
    this.#held = Buffer.alloc(0);
    return out;
  }
}
