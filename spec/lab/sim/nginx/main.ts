/**
 * The lab's nginx for kubespray's `nginx-proxy` static pod on workers: reads /etc/nginx/nginx.conf
 * (roles/kubernetes/node/templates/loadbalancer/nginx.conf.j2) and does what that file asks of the
 * real nginx: a TCP proxy (`stream { upstream kube_apiserver { least_conn; server M:6443; ... }
 * server { listen 127.0.0.1:6443; proxy_pass kube_apiserver; proxy_connect_timeout 1s;
 * proxy_timeout 10m; } }`) that takes the upstream with the fewest connections and tries the next
 * one when a connect fails (proxy_next_upstream, on by default), and the health server of
 * `loadbalancer_apiserver_healthcheck_port` (`http { server { listen 8081; location /healthz {
 * return 200; } } }`). Any other directive is ignored. Run by the lab kubelet for the nginx image
 * (its CMD `nginx -g 'daemon off;'`).
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type Socket, connect, createServer } from 'node:net';
import { pathToFileURL } from 'node:url';

/** One directive of nginx.conf: its name, arguments and block. */
export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

/** Parse nginx.conf's syntax (words, quoted strings, `;`, `{ }`, `#` comments). */
export function parseNginx(text: string): Directive[] {
  const tokens = text.replace(/#[^\n]*/g, '').match(/"[^"]*"|'[^']*'|[{};]|[^\s{};]+/g) ?? [];
  let i = 0;
  const block = (): Directive[] => {
    const out: Directive[] = [];
    let cur: string[] = [];
    while (i < tokens.length) {
      const t = tokens[i++];
      if (t === ';') {
        if (cur.length) out.push({ name: cur[0], args: cur.slice(1) });
        cur = [];
      } else if (t === '{') {
        out.push({ name: cur[0] ?? '', args: cur.slice(1), block: block() });
        cur = [];
      } else if (t === '}') return out;
      else cur.push(t.replace(/^["'](.*)["']$/, '$1'));
    }
    return out;
  };
  return block();
}

const find = (ds: Directive[] | undefined, name: string) => (ds ?? []).filter((d) => d.name === name);

/** nginx's time syntax (`1s`, `10m`, `500ms`) in milliseconds. */
export function nginxTime(v: string | undefined, dflt: number): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(v ?? '');
  if (!m) return dflt;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms'];
}

/** `listen` argument to host and port (`127.0.0.1:6443`, `8081`, `[::1]:6443`). */
function listenOf(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(v);
  if (m) return { host: m[1] ?? m[2], port: Number(m[3]) };
  return { host: '0.0.0.0', port: Number(v) };
}

/** The stream proxies of a config: listen address, upstream servers, timeouts. */
export function streamProxies(conf: Directive[]): Array<{ listen: { host: string; port: number }[]; upstream: string[]; connectMs: number; idleMs: number }> {
  const out = [];
  for (const stream of find(conf, 'stream')) {
    const upstreams = new Map(find(stream.block, 'upstream').map((u) => [u.args[0], find(u.block, 'server').map((s) => s.args[0])]));
    for (const server of find(stream.block, 'server')) {
      const pass = find(server.block, 'proxy_pass')[0]?.args[0];
      if (!pass) continue;
      out.push({
        listen: find(server.block, 'listen').map((l) => listenOf(l.args[0])),
        upstream: upstreams.get(pass) ?? [pass],
        connectMs: nginxTime(find(server.block, 'proxy_connect_timeout')[0]?.args[0], 60_000),
        idleMs: nginxTime(find(server.block, 'proxy_timeout')[0]?.args[0], 600_000),
      });
    }
  }
  return out;
}

/** The http servers with a `location /healthz { return 200; }`: their listen ports. */
export function healthPorts(conf: Directive[]): number[] {
  const out: number[] = [];
  for (const http of find(conf, 'http')) {
    for (const server of find(http.block, 'server')) {
      const health = find(server.block, 'location').some((l) => l.args[0] === '/healthz' && find(l.block, 'return')[0]?.args[0] === '200');
      if (health) out.push(...find(server.block, 'listen').map((l) => listenOf(l.args[0]).port));
    }
  }
  return out;
}

const log = (level: string, msg: string) =>
  process.stderr.write(`${new Date().toISOString().replace('T', ' ').slice(0, 19)} [${level}] ${process.pid}#0: ${msg}\n`);

function proxy(p: ReturnType<typeof streamProxies>[number]): void {
  const active = new Map<string, number>(p.upstream.map((u) => [u, 0]));
  const order = () => [...p.upstream].sort((a, b) => active.get(a)! - active.get(b)!); // least_conn
  for (const l of p.listen) {
    const srv = createServer((client: Socket) => {
      client.pause();
      const tries = order();
      const attempt = (k: number) => {
        if (k >= tries.length) {
          log('error', `*1 no live upstreams while connecting to upstream, client: ${client.remoteAddress}, server: ${l.host}:${l.port}`);
          client.destroy();
          return;
        }
        const target = tries[k];
        const i = target.lastIndexOf(':');
        const up = connect({ host: target.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(target.slice(i + 1)) });
        const timer = setTimeout(() => up.destroy(new Error('upstream timed out (110: Connection timed out)')), p.connectMs);
        up.once('error', (e) => {
          clearTimeout(timer);
          log(
            'error',
            `*1 connect() to ${target} failed (${e.message}) while connecting to upstream, client: ${client.remoteAddress}, server: ${l.host}:${l.port}, upstream: "${target}"`,
          );
          attempt(k + 1);
        });
        up.once('connect', () => {
          clearTimeout(timer);
          up.removeAllListeners('error');
          active.set(target, active.get(target)! + 1);
          const done = () => {
            active.set(target, Math.max(0, active.get(target)! - 1));
            client.destroy();
            up.destroy();
          };
          up.on('error', done).on('close', done);
          client.on('error', done).on('close', done);
          client.setTimeout(p.idleMs, done);
          client.pipe(up);
          up.pipe(client);
          client.resume();
        });
      };
      attempt(0);
    });
    srv.on('error', (e) => {
      log('emerg', `bind() to ${l.host}:${l.port} failed (${e.message})`);
      process.exit(1);
    });
    srv.listen(l.port, l.host);
  }
}

function main(): void {
  const file = process.env.LAB_NGINX_CONF ?? '/etc/nginx/nginx.conf';
  let conf: Directive[];
  try {
    conf = parseNginx(readFileSync(file, 'utf8'));
  } catch (e) {
    log('emerg', `open() "${file}" failed (${(e as Error).message})`);
    process.exit(1);
  }
  for (const p of streamProxies(conf)) proxy(p);
  for (const port of healthPorts(conf)) {
    const h = createHttpServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 200 : 404;
      res.end();
    });
    h.on('error', (e) => {
      log('emerg', `bind() to 0.0.0.0:${port} failed (${e.message})`);
      process.exit(1);
    });
    h.listen(port, '0.0.0.0');
  }
  log('notice', 'start worker processes');
  for (const s of ['SIGTERM', 'SIGQUIT', 'SIGINT'] as const) process.on(s, () => process.exit(0));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
