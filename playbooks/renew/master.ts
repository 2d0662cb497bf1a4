/**
 * renew/masters (one master at a time): `kubeadm certs renew all` (CAs kept), the admin kubeconfig
 * copies refreshed, etcd leadership moved off the master (rolling), the control-plane static pods
 * restarted, and (rolling) etcd and this master's apiserver healthy before the next master starts.
 */
import { masters } from '../../lib/core/hosts.js';
import type { HostContext, HostPhase } from '../../lib/core/types.js';
import { ADMIN_CONF, K8S } from '../../lib/facts/paths.js';
import { kubectlArgv } from '../shared/commands.js';
import { waitFor } from '../shared/wait-for.js';
import { waitEtcdHealthy } from '../shared/waits.js';
import { type RenewOptions, renewState } from './options.js';
import { moveLeaderAway } from './etcd-leader.js';
import { MANIFESTS, controlPlanePods, restartStaticPods, restoreAside } from './restart.js';
import { sharedKey } from '../../lib/core/shared.js';

/** The masters whose control plane this run restarted, in order. */
const RESTARTED = sharedKey<string[]>('renew:restarted');

/** Prints every `~/.kube/config` (of root and of `$1` when given) that is a copy of admin.conf: those are replaced after renewal. */
const ADMIN_COPIES = `a=$(sha256sum "$1" 2>/dev/null | cut -d' ' -f1); [ -n "$a" ] || exit 0; shift
for u in root "$@"; do h=$(getent passwd "$u" | cut -d: -f6); f="$h/.kube/config"
  [ -n "$h" ] && [ -f "$f" ] && [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$a" ] && echo "$f"; done; exit 0`;

/** Where this master's apiserver listens (from its manifest: --advertise-address, --secure-port). */
async function apiserverUrl(h: HostContext): Promise<string> {
  const r = await h.read(['sh', '-c', 'cat "$1" 2>/dev/null; exit 0', 'sh', `${MANIFESTS}/kube-apiserver.yaml`], { what: 'read the kube-apiserver manifest' });
  const addr = /--advertise-address=(\S+)/.exec(r.stdout)?.[1]?.replace(/["']/g, '') ?? h.host.address;
  const port = /--secure-port=(\d+)/.exec(r.stdout)?.[1] ?? '6443';
  return `https://${addr.includes(':') ? `[${addr}]` : addr}:${port}`;
}

/** Warn when kubelet.conf embeds its client certificate (kubeadm renews neither it nor the kubelet's rotated one). */
async function checkKubeletConf(h: HostContext): Promise<void> {
  const r = await h.read(['sh', '-c', 'grep -c "client-certificate-data" "$1" 2>/dev/null; exit 0', 'sh', `${K8S}/kubelet.conf`], {
    what: 'read kubelet.conf',
  });
  if (Number(r.stdout.trim()) > 0)
    h.log(
      `${K8S}/kubelet.conf embeds its client certificate, which kubeadm does not renew: point it at /var/lib/kubelet/pki/kubelet-client-current.pem (kubeadm docs, "kubelet client certificate rotation")`,
      'warn',
    );
}

/** The phase. */
export const renewMastersPhase: HostPhase<RenewOptions> = {
  id: 'renew/masters',
  title: 'kubeadm certs renew all on each master (CA kept), admin.conf copies refreshed, control-plane static pods restarted, health-gated',
  hosts: masters,
  strategy: { kind: 'serial' },
  destructive: true,
  async run(h) {
    const s = renewState(h);
    await restoreAside(h);
    const copies = (
      await h.read(['sh', '-c', ADMIN_COPIES, 'sh', ADMIN_CONF, ...(h.host.user !== 'root' ? [h.host.user] : [])], { what: 'find copies of admin.conf' })
    ).stdout
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const pods = await controlPlanePods(h);
    const url = await apiserverUrl(h);
    await h.run(['kubeadm', 'certs', 'renew', 'all'], { what: 'kubeadm certs renew all', timeoutMs: 300_000 });
    for (const f of copies) {
      // cp onto an existing file keeps its owner and mode
      await h.run(['cp', ADMIN_CONF, f], { what: `refresh ${f} (a copy of admin.conf)` });
      h.log(`${f} was a copy of admin.conf: replaced by the renewed one`);
    }
    await checkKubeletConf(h);
    // kubeadm names each etcd member after its node: the masters restarted earlier in this run
    const done = h.shared.get(RESTARTED) ?? [];
    if (s.mode === 'rolling' && pods.includes('etcd')) await moveLeaderAway(h, done);
    await restartStaticPods(h, pods, s.mode === 'rolling');
    h.shared.set(RESTARTED, [...done, h.host.name]);
    if (s.mode !== 'rolling') return;
    if (pods.includes('etcd')) {
      await waitEtcdHealthy(h, h, s.etcdMembers);
    }
    if (pods.includes('kube-apiserver')) {
      await waitFor(h, `${h.host.name}'s apiserver (${url}) answers /readyz`, async () => {
        const r = await h.read(kubectlArgv('--server', url, 'get', '--raw', '/readyz'), { allowFail: true, what: 'kubectl get --raw /readyz' });
        return r.exitCode === 0 ? true : (r.stderr.trim().split('\n').pop() ?? `exit ${r.exitCode}`);
      });
    }
  },
};
