/**
 * The lab's `scripts/lab fault apiserver-blip HOST SECONDS [--mode refuse|503]`: the fault writes
 * BLIP_FILE on the host ("UNTIL-MS MODE": epoch milliseconds and a mode), and this apiserver reads it
 * every 200 ms. Until then:
 * - `refuse`: as while the kubelet restarts the apiserver's container: the listener is closed and
 *   every open connection (watches included) cut, so clients get ECONNREFUSED (Go: `connect:
 *   connection refused`) and reconnect; it listens again once the time is over;
 * - `503`: every request is answered 503 ServiceUnavailable with a Status, as an apiserver that
 *   cannot serve (its storage unavailable) or a proxy in front of it answers, health checks included.
 * The file is the fault's record; the apiserver never writes it.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import type { Socket } from 'node:net';
import { info } from './log.js';

/** Where the fault puts its order on the host (a tmpfs /run: gone when the host goes). */
export const BLIP_FILE = '/run/lab/apiserver-blip';

/** The modes of a blip. */
export type BlipMode = 'refuse' | '503';

/** The blip in force now (undefined when none): parsed from the file's text. */
export function blipNow(text: string | undefined, now = Date.now()): { mode: BlipMode; until: number } | undefined {
  const m = /^(\d+) (refuse|503)\s*$/.exec(text ?? '');
  if (!m) return undefined;
  const until = Number(m[1]);
  return until > now ? { mode: m[2] as BlipMode, until } : undefined;
}

/** What the server asks the blip watcher. */
export interface Blip {
  /** True while a `503` blip is in force (answer every request 503). */
  unavailable(): boolean;
  stop(): void;
}

/**
 * Watch BLIP_FILE for `server` (already listening through `listen`). Tracks connections so a
 * `refuse` blip can cut them, as a restart does.
 */
export function watchBlip(server: Server, listen: () => Promise<void>, file = BLIP_FILE): Blip {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  let mode: BlipMode | undefined;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      let text: string | undefined;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        text = undefined;
      }
      const now = blipNow(text);
      if (now?.mode === 'refuse' && mode !== 'refuse') {
        info(`lab fault apiserver-blip: not listening until ${new Date(now.until).toISOString()} (as while the container restarts)`);
        server.close();
        for (const s of sockets) s.destroy();
        mode = 'refuse';
      } else if (!now && mode === 'refuse') {
        await listen();
        info('lab fault apiserver-blip over: listening again');
        mode = undefined;
      } else if (now?.mode === '503' && mode !== '503') {
        info(`lab fault apiserver-blip: answering 503 until ${new Date(now.until).toISOString()}`);
        mode = '503';
      } else if (!now && mode === '503') {
        info('lab fault apiserver-blip over: serving again');
        mode = undefined;
      }
    } catch (e) {
      info(`lab fault apiserver-blip: ${(e as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), 200);
  timer.unref();
  return {
    unavailable: () => mode === '503',
    stop: () => clearInterval(timer),
  };
}
