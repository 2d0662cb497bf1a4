/** A lab folder as `scripts/lab up` left it: lab.env, hosts.json, key, known_hosts. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** One host of the lab (DIR/hosts.json). */
export interface Host {
  name: string;
  address: string;
  /** etcd: a host of a separate etcd cluster, neither master nor node (the kubespray layout's --etcd-hosts). */
  role: 'master' | 'worker' | 'etcd';
}

/** The cluster's shape (DIR/layout.json, written by `up`; absent: kubeadm's). */
export interface Layout {
  /** kubeadm: stacked etcd static pods, /etc/kubernetes/pki; kubespray: etcd as a host service, /etc/kubernetes/ssl, nginx-proxy on workers. */
  kind: 'kubeadm' | 'kubespray';
  /** The hosts that run an etcd member, in the etcd group's order. */
  etcd: string[];
}

/** What the cluster scripts need to know about a lab. */
export interface LabDir {
  dir: string;
  net: number;
  sshPort: number;
  key: string;
  knownHosts: string;
  hosts: Host[];
  masters: Host[];
  workers: Host[];
  /** Masters and workers: the hosts that are Kubernetes nodes. */
  nodes: Host[];
  layout: Layout;
  /** The hosts that run an etcd member. */
  etcdMembers: Host[];
}

/** Reads DIR/lab.env and DIR/hosts.json; throws naming the missing file. */
export function readLab(dirArg: string): LabDir {
  const dir = resolve(dirArg);
  const envFile = join(dir, 'lab.env');
  if (!existsSync(envFile)) throw new Error(`lab ${dir}: ${envFile} is missing (no lab up in this folder?)`);
  const env: Record<string, string> = {};
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i)] = line.slice(i + 1).replace(/^"|"$/g, '');
  }
  const hosts = JSON.parse(readFileSync(join(dir, 'hosts.json'), 'utf8')) as Host[];
  const masters = hosts.filter((h) => h.role === 'master');
  const layoutFile = join(dir, 'layout.json');
  const layout: Layout = existsSync(layoutFile) ? JSON.parse(readFileSync(layoutFile, 'utf8')) : { kind: 'kubeadm', etcd: masters.map((m) => m.name) };
  return {
    dir,
    net: Number(env.LAB_NET),
    sshPort: Number(env.LAB_PORT || 22),
    key: join(dir, 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    hosts,
    masters,
    workers: hosts.filter((h) => h.role === 'worker'),
    nodes: hosts.filter((h) => h.role !== 'etcd'),
    layout,
    etcdMembers: layout.etcd.map((n) => hosts.find((h) => h.name === n)).filter((h): h is Host => !!h),
  };
}

/** The host called `name`; throws when the lab has none. */
export function hostOf(lab: LabDir, name: string): Host {
  const h = lab.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`lab ${lab.dir}: no host named ${name}`);
  return h;
}

/** Minimal `--flag value` / `--flag=value` / `--switch` parser: returns flags and positionals. */
export function parseArgs(argv: string[], switches: string[]): { flags: Record<string, string>; rest: string[] } {
  const flags: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq > 0 ? eq : undefined);
    if (eq > 0) flags[name] = a.slice(eq + 1);
    else if (switches.includes(name)) flags[name] = '1';
    else {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      flags[name] = argv[++i];
    }
  }
  return { flags, rest };
}
