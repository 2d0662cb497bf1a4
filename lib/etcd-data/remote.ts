/**
 * Reading a master's etcd data without touching it: the ClusterConfiguration through a throwaway
 * etcd run from the etcd image already in containerd on a 0700 copy of `member/` (preferred), or
 * `member/snap/db` pulled and read by the offline reader (fallback); the members bucket read in
 * place, a few pages, through `dd` (read-only). Every byte of etcd's data is treated as a secret:
 * it holds every Secret of the cluster.
 */
import type { HostContext } from '../core/types.js';
import { BoltReader, type RangeReader, bufferReader } from './bbolt.js';
import { KUBEADM_CONFIG_KEY, KUBELET_CONFIG_KEY, type ConfigFromEtcd, configFromValues, parseGetLines } from './configmaps.js';
import { readMembers, scanKeys, type StoredMember } from './mvcc.js';
import type { Decrypt } from './encryption.js';

/** etcd's data folder on a kubeadm master (stacked etcd). */
export const ETCD_DATA = '/var/lib/etcd';
/** The bbolt file of etcd's v3 store. */
export const ETCD_DB = `${ETCD_DATA}/member/snap/db`;

/** What a master offers for reading its etcd data (all read-only probes). */
export interface EtcdDataProbe {
  /** Size of member/snap/db in bytes; undefined when there is none. */
  dbBytes?: number;
  /** pids of a running etcd, if any (its data is live: not copied). */
  etcdPids: string[];
  /** `ctr` is on the host's PATH. */
  ctr: boolean;
  /** The newest etcd image in containerd's k8s.io namespace. */
  image?: string;
  /** KiB free in /var/lib and KiB used by member/. */
  freeKiB?: number;
  needKiB?: number;
}

/** The read-only probe script (arg: the data folder). */
export const PROBE = `d=$1
if [ -f "$d/member/snap/db" ]; then echo "db $(stat -c %s "$d/member/snap/db")"; echo "need $(du -sk "$d/member" | cut -f1)"; fi
echo "free $(df -Pk /var/lib | awk 'NR==2 {print $4}')"
echo "etcd $(pgrep -x etcd | tr '\\n' ' ')"
if command -v ctr >/dev/null 2>&1; then echo ctr yes; ctr -n k8s.io images ls -q 2>/dev/null | sed 's/^/image /'; fi
exit 0`;

/** Numeric parts of an image tag (`3.5.16-0` -> [3,5,16,0]) for choosing the newest. */
function tagVersion(ref: string): number[] {
  return (ref.split(':').pop() ?? '').split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
}

/** The newest `.../etcd:TAG` reference among `refs` (digests and image ids skipped). */
export function newestEtcdImage(refs: readonly string[]): string | undefined {
  const tagged = refs.filter((r) => /^([^@\s]+\/)?etcd:[^@\s/]+$/.test(r));
  tagged.sort((a, b) => {
    const [x, y] = [tagVersion(a), tagVersion(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (y[i] ?? 0) - (x[i] ?? 0);
    return a.localeCompare(b);
  });
  return tagged[0];
}

/** Probe `h` (read-only). */
export async function probeEtcdData(h: HostContext): Promise<EtcdDataProbe> {
  const r = await h.read(['sh', '-c', PROBE, 'sh', ETCD_DATA], { allowFail: true, what: 'probe etcd data, etcd process, ctr and the etcd image' });
  const out: EtcdDataProbe = { etcdPids: [], ctr: false };
  const refs: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const [k, ...rest] = line.trim().split(/\s+/);
    const v = rest.join(' ');
    if (k === 'db') out.dbBytes = Number(v);
    else if (k === 'need') out.needKiB = Number(v);
    else if (k === 'free') out.freeKiB = Number(v) || undefined;
    else if (k === 'etcd') out.etcdPids = v.split(/\s+/).filter(Boolean);
    else if (k === 'ctr') out.ctr = true;
    else if (k === 'image' && v) refs.push(v);
  }
  out.image = newestEtcdImage(refs);
  return out;
}

/** Why the throwaway etcd cannot run on a probed master (undefined when it can). */
export function throwawayBlocker(p: EtcdDataProbe): string | undefined {
  if (p.dbBytes === undefined) return `no ${ETCD_DB}`;
  if (p.etcdPids.length) return `etcd runs (pid ${p.etcdPids.join(', ')}): its data is live`;
  if (!p.ctr) return 'no ctr on the host';
  if (!p.image) return 'no etcd image in containerd (ctr -n k8s.io images ls)';
  if (p.freeKiB !== undefined && p.needKiB !== undefined && p.freeKiB < p.needKiB + Math.ceil(p.needKiB / 10) + 65536) {
    return `not enough space in /var/lib for a copy (${p.needKiB} KiB needed, ${p.freeKiB} KiB free)`;
  }
  return undefined;
}

/** Bytes of a file on `h`, read in place through `dd` (read-only; output never journaled). */
export function remoteReader(h: HostContext, path: string): RangeReader {
  return {
    async read(offset, length) {
      const r = await h.read(
        [
          'sh',
          '-c',
          'dd if="$1" iflag=skip_bytes,count_bytes skip="$2" count="$3" bs=64K status=none | base64 -w 0',
          'sh',
          path,
          String(offset),
          String(length),
        ],
        { what: `read ${length} bytes of ${path}`, secretOutput: true },
      );
      return Buffer.from(r.stdout.trim(), 'base64');
    },
  };
}

/** The members recorded in the master's data, read in place (meta, root and members pages only). */
export async function membersOn(h: HostContext): Promise<StoredMember[]> {
  return readMembers(await BoltReader.open(remoteReader(h, ETCD_DB), `${h.host.name}:${ETCD_DB}`));
}

/** The config read, where from, and at which store revision. */
export interface EtcdConfigRead {
  config: ConfigFromEtcd;
  revision: number;
  how: string;
}

/**
 * Offline: pull member/snap/db (into memory only, never to disk) and read the newest revisions
 * of both ConfigMaps. Misses writes still only in the WAL (said in `how`).
 */
export async function readOffline(h: HostContext, decrypt?: Decrypt): Promise<EtcdConfigRead> {
  const db = await BoltReader.open(bufferReader(await h.download(ETCD_DB)), `${h.host.name}:${ETCD_DB}`);
  const scan = await scanKeys(db, [KUBEADM_CONFIG_KEY, KUBELET_CONFIG_KEY]);
  const kubeadm = scan.found.get(KUBEADM_CONFIG_KEY);
  if (!kubeadm)
    throw new Error(
      `${h.host.name}:${ETCD_DB}: ${scan.deleted.has(KUBEADM_CONFIG_KEY) ? 'kube-system/kubeadm-config was deleted' : 'no kube-system/kubeadm-config'} (store revision ${scan.revision})`,
    );
  return {
    config: configFromValues(kubeadm, scan.found.get(KUBELET_CONFIG_KEY), decrypt),
    revision: scan.revision,
    how: `offline read of ${ETCD_DB}; writes still only in the WAL (the last moments before etcd stopped) are not in it`,
  };
}

/**
 * The throwaway etcd, as one script run as root (args: DATA IMAGE NAME ID; stdin: the TLS bundle
 * of tls.ts): copy member/ to a 0700 folder in /var/lib, run the etcd image with `ctr run --rm
 * --net-host` on the copy with --force-new-cluster, client and peer URLs on two free 127.0.0.1
 * ports, TLS with client certificates required (so no other local process can read it), wait for
 * it, get both ConfigMaps with etcdctl (another container of the same image: a kubeadm host has
 * no etcdctl), stop it and delete the copy: on every exit path (trap), also on a failure or a
 * hang-up. etcd's tlsutil parses every block of a CA file as a certificate: ca.pem has no key.
 */
export const THROWAWAY = `set -u
umask 077
data=$1 image=$2 name=$3 id=$4 copy= pid=
C=/kubemend-etcd-copy
cleanup() {
  trap - EXIT HUP INT TERM
  if [ -n "$pid" ]; then ctr -n k8s.io tasks kill "$id" >/dev/null 2>&1; i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    ctr -n k8s.io tasks kill -s SIGKILL "$id" >/dev/null 2>&1; wait "$pid" 2>/dev/null; fi
  for c in "$id" "$id-probe" "$id-get"; do ctr -n k8s.io tasks rm -f "$c" >/dev/null 2>&1; ctr -n k8s.io containers rm "$c" >/dev/null 2>&1; done
  if [ -n "$copy" ]; then rm -rf -- "$copy"; fi
}
trap cleanup EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
[ -f "$data/member/snap/db" ] || { echo "no $data/member/snap/db" >&2; exit 3; }
if pgrep -x etcd >/dev/null; then echo "etcd runs on this host: its data is live, not copied" >&2; exit 4; fi
free() { ! ss -Hltn "sport = :$1" | grep -q .; }
cport=; for p in $(seq 23790 2 23988); do if free "$p" && free $((p + 1)); then cport=$p; break; fi; done
[ -n "$cport" ] || { echo "no two free ports in 23790-23989 on 127.0.0.1" >&2; exit 6; }
url=https://127.0.0.1:$cport purl=https://127.0.0.1:$((cport + 1))
copy=$(mktemp -d /var/lib/kubemend-etcd-copy.XXXXXXXX) || { echo "cannot make a folder in /var/lib" >&2; exit 5; }
cat > "$copy/tls.pem"
grep -q 'BEGIN PRIVATE KEY' "$copy/tls.pem" || { echo "no TLS key on stdin" >&2; exit 5; }
sed '/-----BEGIN PRIVATE KEY-----/,/-----END PRIVATE KEY-----/d' "$copy/tls.pem" > "$copy/ca.pem"
mkdir -m 0700 "$copy/data" && cp -a "$data/member" "$copy/data/member" || { echo "copying $data/member failed" >&2; exit 5; }
ctr -n k8s.io run --rm --net-host --mount "type=bind,src=$copy,dst=$C,options=rbind:rw" "$image" "$id" \\
  etcd --name "$name" --data-dir "$C/data" --force-new-cluster \\
  --listen-client-urls "$url" --advertise-client-urls "$url" --listen-peer-urls "$purl" --initial-advertise-peer-urls "$purl" \\
  --cert-file "$C/tls.pem" --key-file "$C/tls.pem" --trusted-ca-file "$C/ca.pem" --client-cert-auth \\
  --peer-cert-file "$C/tls.pem" --peer-key-file "$C/tls.pem" --peer-trusted-ca-file "$C/ca.pem" --peer-client-cert-auth >"$copy/etcd.log" 2>&1 &
pid=$!
ctl() {
  c=$1; shift
  ctr -n k8s.io run --rm --net-host --mount "type=bind,src=$copy/tls.pem,dst=/kubemend-tls.pem,options=rbind:ro" \\
    --mount "type=bind,src=$copy/ca.pem,dst=/kubemend-ca.pem,options=rbind:ro" "$image" "$c" \\
    etcdctl --endpoints "$url" --cacert /kubemend-ca.pem --cert /kubemend-tls.pem --key /kubemend-tls.pem "$@"
}
i=0
until out=$(ctl "$id-probe" --command-timeout=2s endpoint health 2>&1); do
  i=$((i + 1))
  if ! kill -0 "$pid" 2>/dev/null; then echo "the throwaway etcd exited; its last lines:" >&2; tail -n 15 "$copy/etcd.log" >&2; exit 7; fi
  if [ $i -ge 60 ]; then echo "the throwaway etcd did not answer in 60 s: $out; its last lines:" >&2; tail -n 15 "$copy/etcd.log" >&2; exit 8; fi
  sleep 1
done
for k in kubeadm-config kubelet-config; do
  printf '%s ' "$k"
  ctl "$id-get" --command-timeout=10s get "/registry/configmaps/kube-system/$k" -w json || exit 9
done
`;

/** Read both ConfigMaps on `h` through the throwaway etcd (a real run: it copies and runs a container). */
export async function readThroughThrowaway(h: HostContext, image: string, memberName: string, id: string, decrypt?: Decrypt): Promise<EtcdConfigRead> {
  const r = await h.run(['sh', '-c', THROWAWAY, 'sh', ETCD_DATA, image, memberName, id], {
    what: `read kubeadm-config and kubelet-config through a throwaway etcd (${image}) on a copy of ${ETCD_DATA}`,
    timeoutMs: 300_000,
    stdin: await (await import('./tls.js')).throwawayTlsBundle(), // an X.509 library (~200 ms of CPU to load): loaded when used
  });
  const { got, revision } = parseGetLines(r.stdout);
  if (!got['kubeadm-config'])
    throw new Error(`${h.host.name}: the throwaway etcd on a copy of ${ETCD_DATA} has no kube-system/kubeadm-config (store revision ${revision})`);
  return {
    config: configFromValues(got['kubeadm-config'], got['kubelet-config'], decrypt),
    revision,
    how: `throwaway etcd from ${image} on a copy of ${ETCD_DATA}, TLS on 127.0.0.1, copy deleted`,
  };
}
