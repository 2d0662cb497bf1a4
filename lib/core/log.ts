/** Renderers of run events: terminal text (one line per host event, host first), JSON lines, and a winston log file per run. */
import { join } from 'node:path';
import { type EventSink, type StampedEvent, formatEvent, redactDeep } from './events.js';
import { redact } from '../shell/secret.js';
import { lineBatch } from './line-batch.js';

/** Print events as human lines through `write` (commands and starts only when verbose). */
export function textRenderer(write: (line: string) => void, verbose = false): EventSink {
  return (e) => {
    const line = formatEvent(e, verbose);
    if (line !== undefined) write(line);
  };
}

/** JSON text with DEL and C1 control characters escaped (`\u009b`; JSON.stringify escapes only C0), so a terminal shows it as it is and nothing is lost. */
export function jsonText(json: string): string {
  return json.replace(/[\x7f-\x9f]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Print every event as one JSON line through `write`. */
export function jsonRenderer(write: (line: string) => void): EventSink {
  return (e) => write(jsonText(redact(JSON.stringify(redactDeep(e)))));
}

/** A run's log file (`run.log` in the run folder, mode 0600): every event, verbose. */
export interface FileLog {
  sink: EventSink;
  /** Flush and close the file. */
  close(): Promise<void>;
}

const levelOf = (e: StampedEvent): string =>
  (e.kind === 'host-end' && e.status === 'failed') ||
  (e.kind === 'run-end' && e.status !== 'done') ||
  (e.kind === 'log' && e.level === 'warn') ||
  (e.kind === 'gate' && !e.ok) ||
  e.kind === 'retry'
    ? 'warn'
    : e.kind === 'command' || e.kind === 'host-start'
      ? 'debug'
      : 'info';

/**
 * Open `dir/run.log` with winston (loaded on first use: it costs start-up time). Lines are handed
 * to winston in batches (lineBatch, as the journal's: at most FLUSH_MS late, and on close): one
 * winston write per batch, not per command, spares the file stream's thread-pool round trip per
 * line (docs/benchmarks.md: at 50 hosts x 100 commands that was ~11,000 futex wake-ups).
 */
export async function openFileLog(dir: string): Promise<FileLog> {
  const { default: winston } = await import('winston');
  const file = join(dir, 'run.log');
  const transport = new winston.transports.File({ filename: file, options: { flags: 'a', mode: 0o600 } });
  // each line is stamped and levelled when it is logged (below); winston writes a batch as it is
  const logger = winston.createLogger({ level: 'debug', format: winston.format.printf((i) => String(i.message)), transports: [transport] });
  const batch = lineBatch((lines) => logger.info(lines.join('\n')));
  return {
    sink(e) {
      const line = formatEvent(e, true);
      if (line !== undefined) batch.add(`${e.ts} ${levelOf(e).padEnd(5)} ${line}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        batch.flush();
        transport.on('finish', () => resolve());
        logger.end();
        setTimeout(resolve, 2000).unref();
      }),
  };
}
