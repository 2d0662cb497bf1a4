/**
 * The lab's TCP load balancer in front of the masters' apiservers, as haproxy is set up for them:
 * kubespray's template (roles/kubernetes/node/templates/loadbalancer/haproxy.cfg.j2: `mode tcp`,
 * `option httpchk GET /healthz`, `http-check expect status 200`, `server ... check check-ssl
 * verify none`, `default-server inter 15s rise 2 fall 2`, `option redispatch`) and the kubeadm HA
 * guide (kubernetes/kubeadm docs/ha-considerations.md: `mode tcp`, `balance roundrobin`, `option
 * httpchk GET /healthz`). Each backend is checked every `interMs` with an HTTPS GET (certificate
 * not verified: the CA changes during a repair) and counts as UP after `rise` good checks in a row,
 * DOWN after `fall` bad ones; it starts DOWN. A new connection goes to the next UP backend round
 * robin (another UP one if the connect fails, as `option redispatch`); with none UP it is closed at
 * once. A backend marked DOWN has its open sessions cut (haproxy's `on-marked-down
 * shutdown-sessions`), so clients reconnect to one that answers. Nothing is ever sent to a DOWN backend.
 */
import { request } from 'node:https';
import { type Server, type Socket, connect, createServer } from 'node:net';

/** One backend (a master's apiserver). */
export interface Backend {
  name: string;
  host: string;
  port: number;
}

/** A backend's health as the checks see it. */
export interface BackendState extends Backend {
  up: boolean;
  /** Good checks in a row (while DOWN) or bad ones (while UP). */
  streak: number;
  /** Connections sent to it so far. */
  sent: number;
  /** Why the last check failed, when it did. */
  last?: string;
  /** When it last changed state (ISO time). */
  since: string;
}

/** How the balancer runs. */
export interface BalancerOptions {
  listen: { host: string; port: number };
  backends: Backend[];
  /** Check path (default /healthz, as kubespray's and the kubeadm guide's haproxy). */
  checkPath?: string;
  interMs?: number;
  rise?: number;
  fall?: number;
  /** How long one check may take (default 10 s: the kubeadm guide's haproxy `timeout check 10s`). */
  checkTimeoutMs?: number;
  /** One line per event (state changes, refusals, redispatches). */
  log?: (line: string) => void;
  /** Called after every state change or connection (to write a state file). */
  onChange?: (states: BackendState[], refused: number) => void;
}

/** A running balancer. */
export interface Balancer {
  address: { host: string; port: number };
  states(): BackendState[];
  /** Connections closed at once because no backend was UP. */
  refused(): number;
  close(): Promise<void>;
}

/** One HTTPS GET of `path` on the backend: true on 200, else why not. */
function check(b: Backend, path: string, timeoutMs: number): Promise<true | string> {
  return new Promise((resolve) => {
    const req = request({ host: b.host, port: b.port, path, method: 'GET', rejectUnauthorized: false, timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? true : `${path} answered ${res.statusCode}`);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve(e.message));
    req.end();
  });
}

/** Start the balancer: listening, checking every backend. */
export async function startBalancer(o: BalancerOptions): Promise<Balancer> {
  const inter = o.interMs ?? 1000;
  const rise = o.rise ?? 2;
  const fall = o.fall ?? 2;
  const path = o.checkPath ?? '/healthz';
  const log = o.log ?? (() => {});
  const now = () => new Date().toISOString();
  const states: BackendState[] = o.backends.map((b) => ({ ...b, up: false, streak: 0, sent: 0, since: now() }));
  const sessions = new Map<string, Set<Socket>>(states.map((s) => [s.name, new Set()]));
  let refused = 0;
  let next = 0;
  let closing = false;
  const changed = () =>
    o.onChange?.(
      states.map((s) => ({ ...s })),
      refused,
    );

  const runCheck = async (s: BackendState) => {
    const r = await check(s, path, o.checkTimeoutMs ?? 10_000);
    if (closing) return;
    const good = r === true;
    s.last = good ? undefined : r;
    if (good === s.up) s.streak = 0;
    else if (++s.streak >= (s.up ? fall : rise)) {
      s.up = good;
      s.streak = 0;
      s.since = now();
      log(`${s.since} backend ${s.name} ${s.host}:${s.port} is ${good ? 'UP' : `DOWN (${r})`}`);
      if (!good) {
        // haproxy's on-marked-down shutdown-sessions: the clients reconnect to a backend that answers
        for (const c of sessions.get(s.name)!) c.destroy();
      }
      changed();
    }
  };
  // one check at a time per backend, the next `inter` after the last one ended (as haproxy: a slow
  // answer under load is not stacked under newer checks)
  const timers = new Map<string, NodeJS.Timeout>();
  const loop = (s: BackendState): void => {
    void runCheck(s).finally(() => {
      if (!closing)
        timers.set(
          s.name,
          setTimeout(() => loop(s), inter),
        );
    });
  };
  states.forEach(loop);

  /** The UP backends from the round-robin position on, each once. */
  const upInTurn = (): BackendState[] => {
    const out: BackendState[] = [];
    for (let i = 0; i < states.length; i++) {
      const s = states[(next + i) % states.length]!;
      if (s.up) out.push(s);
    }
    next = (next + 1) % Math.max(states.length, 1);
    return out;
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    const order = upInTurn();
    const from = `${client.remoteAddress}:${client.remotePort}`;
    if (order.length === 0) {
      refused++;
      log(`${now()} ${from}: no backend UP: connection closed`);
      client.destroy();
      changed();
      return;
    }
    client.on('error', () => {});
    const tryBackend = (k: number): void => {
      const s = order[k];
      if (!s?.up) {
        if (k < order.length) {
          tryBackend(k + 1);
          return;
        }
        refused++;
        log(`${now()} ${from}: every UP backend refused: connection closed`);
        client.destroy();
        changed();
        return;
      }
      const up = connect({ host: s.host, port: s.port });
      let connected = false;
      up.once('connect', () => {
        connected = true;
        s.sent++;
        const set = sessions.get(s.name)!;
        set.add(up);
        up.once('close', () => set.delete(up));
        up.pipe(client);
        client.pipe(up);
        client.once('close', () => up.destroy());
        up.once('close', () => client.destroy());
        client.resume();
        changed();
      });
      up.on('error', (e) => {
        if (!connected) {
          log(`${now()} ${from}: ${s.name} refused the connection (${e.message}): redispatched`);
          up.destroy();
          tryBackend(k + 1);
        } else client.destroy();
      });
    };
    tryBackend(0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => resolve());
  });
  const a = server.address();
  const address = typeof a === 'object' && a ? { host: a.address, port: a.port } : o.listen;
  log(
    `${now()} listening on ${address.host}:${address.port}; backends ${states.map((s) => `${s.name}=${s.host}:${s.port}`).join(' ')}; check GET ${path} every ${inter} ms, rise ${rise}, fall ${fall}`,
  );
  changed();
  return {
    address,
    states: () => states.map((s) => ({ ...s })),
    refused: () => refused,
    close: async () => {
      closing = true;
      for (const x of timers.values()) clearTimeout(x);
      for (const set of sessions.values()) for (const c of set) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
