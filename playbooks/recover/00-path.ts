/** Step 0 (facts): gather every host's PKI facts and announce the repair path (journaled). */
import type { ClusterPhase } from '../../lib/core/types.js';
import { pkiState, pkiStateIn } from '../../lib/facts/pki.js';
import { ADMIN_CONF, CA_CRT } from '../../lib/facts/paths.js';
import { PATH_DECISION, type PathDecision, type RecoverOptions } from './common.js';
import { readRunFile, writeRunFile } from '../shared/run-files.js';
import { type HostPki, choosePath } from './path.js';
import { KUBE_CERT_DIR, isKubespray, masterCaFiles } from '../shared/layout.js';
import { recordKubesprayEtcd } from './kubespray-etcd.js';
import { inventoryFirst, kubeNodes } from '../../lib/core/hosts.js';

/** Control-plane files a whole master has besides its CAs (on kubespray's layout no etcd.yaml: etcd is its service). */
const CP_FILES = [
  ADMIN_CONF,
  '/etc/kubernetes/kubelet.conf',
  '/etc/kubernetes/manifests/kube-apiserver.yaml',
  '/etc/kubernetes/manifests/etcd.yaml',
  '/etc/kubernetes/pki/apiserver.crt',
];
const KUBESPRAY_CP_FILES = CP_FILES.filter((f) => !f.endsWith('/etcd.yaml'));

/**
 * kubespray's layout: every host's CA files read in kube_cert_dir /etc/kubernetes/ssl (its workers
 * have no pki link; its masters' pki is a link to it), without etcd/ca.* (etcd's CA is kubespray's,
 * in /etc/ssl/etcd/ssl, and kubeadm makes none with etcd.external).
 */
const KUBESPRAY_PKI = pkiStateIn(KUBE_CERT_DIR, masterCaFiles('kubespray'));

/** Where the chosen path is kept in the run folder. */
const CHOICE = 'recover-path.json';

/** Step 0: facts of every host, then the path (a resumed run keeps the path it chose first). */
export const pathPhase: ClusterPhase<RecoverOptions> = {
  id: 'facts/path',
  title: '0. Gather PKI facts on every host and choose the repair path',
  scope: 'cluster',
  rerunOnResume: true,
  async run(ctx) {
    const spray = isKubespray(ctx);
    // kubespray's etcd-only hosts hold no cluster CA and run no kubelet: nothing on them is repaired
    const etcdOnly = ctx.hosts.filter((h) => h.role === 'etcd').map((h) => h.name);
    if (etcdOnly.length)
      ctx.log(
        `${etcdOnly.join(', ')}: etcd only (kubespray's etcd service, not a Kubernetes node): nothing there changes; its certificates and etcd.env are archived by the backup, its members and certificates compared by the proof`,
      );
    const hosts: HostPki[] = await Promise.all(
      kubeNodes(ctx).map(async (h) => {
        const hc = ctx.on(h);
        const pki = await hc.fact(spray ? KUBESPRAY_PKI : pkiState);
        const files =
          h.role === 'master'
            ? await hc.read(['sh', '-c', 'for f; do [ -f "$f" ] || exit 1; done', 'sh', ...(spray ? KUBESPRAY_CP_FILES : CP_FILES)], {
                allowFail: true,
                what: 'control-plane files present',
              })
            : undefined;
        return { name: h.name, role: h.role, pki, controlPlaneFiles: files?.exitCode === 0 };
      }),
    );
    const seen = new Map<string, string[]>();
    for (const h of hosts) {
      const what = `CA ${h.pki.ca?.slice(0, 23) ?? 'absent'}; CA files ${h.pki.complete ? 'complete' : h.pki.present.length ? `partial (${h.pki.present.join(' ')})` : 'absent'}${h.role === 'master' ? `; control-plane files ${h.controlPlaneFiles ? 'present' : 'missing'}` : ''}`;
      seen.set(what, [...(seen.get(what) ?? []), h.name]);
    }
    for (const [what, names] of seen) ctx.log(`${names.join(', ')}: ${what}`);
    if (spray) await recordKubesprayEtcd(ctx, inventoryFirst(ctx)); // before anything changes: the proof compares
    const earlier = readRunFile<PathDecision>(ctx, CHOICE);
    if (earlier) {
      // a resumed run: the facts now show a half-repaired cluster, which would look like another path
      ctx.shared.set(PATH_DECISION, earlier);
      ctx.log(
        `path: ${earlier.path} (chosen when this run started: ${earlier.reason})${earlier.lost.length ? `; masters rebuilt: ${earlier.lost.join(', ')}` : ''}`,
      );
      return;
    }
    if (spray && ctx.options.replaceCa)
      throw new Error("--replace-ca on kubespray's layout is not repaired yet (only the rebuild of a lost PKI is: docs/kubespray.md); nothing was changed");
    const chosen = choosePath(hosts, ctx.options.replaceCa);
    // kubespray's etcd is its own service with its own CA: steps 2-4 do not run, and the path says so
    const d =
      spray && chosen.path !== 'nothing-to-do'
        ? { ...chosen, reason: `${chosen.reason}; etcd is kubespray's service (its CA and certificates in /etc/ssl/etcd/ssl), kept as it is` }
        : chosen;
    let oldCa;
    const holder = hosts.find((h) => h.role === 'master' && h.pki.ca);
    if (d.path === 'replace-ca' && holder) {
      const pem = (await ctx.on(ctx.hosts.find((x) => x.name === holder.name)!).download(CA_CRT)).toString('utf8');
      oldCa = { fingerprint: holder.pki.ca!, pem };
    }
    ctx.shared.set(PATH_DECISION, { ...d, oldCa });
    writeRunFile(ctx, CHOICE, { ...d, oldCa }); // a resume keeps this path
    ctx.log(`path: ${d.path} (${d.reason})${d.lost.length ? `; masters rebuilt: ${d.lost.join(', ')}` : ''}`);
  },
};
