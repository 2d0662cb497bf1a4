/** Step 0 (facts): gather every host's PKI facts and announce the repair path (journaled). */
import type { ClusterPhase } from '../../lib/core/types.js';
import { pkiState } from '../../lib/facts/pki.js';
import { ADMIN_CONF, CA_CRT } from '../../lib/facts/paths.js';
import { PATH_DECISION, type PathDecision, type RecoverOptions, readRunFile, writeRunFile } from './common.js';
import { type HostPki, choosePath } from './path.js';

/** Control-plane files a whole master has besides its CAs. */
const CP_FILES = [ADMIN_CONF, '/etc/kubernetes/kubelet.conf', '/etc/kubernetes/manifests/kube-apiserver.yaml', '/etc/kubernetes/manifests/etcd.yaml', '/etc/kubernetes/pki/apiserver.crt'];

/** Where the chosen path is kept in the run folder. */
const CHOICE = 'recover-path.json';

/** Step 0: facts of every host, then the path (a resumed run keeps the path it chose first). */
export const pathPhase: ClusterPhase<RecoverOptions> = {
  id: 'facts/path',
  title: '0. Gather PKI facts on every host and choose the repair path',
  scope: 'cluster',
  rerunOnResume: true,
  async run(ctx) {
    const hosts: HostPki[] = await Promise.all(
      ctx.hosts.map(async (h) => {
        const hc = ctx.on(h);
        const pki = await hc.fact(pkiState);
        const files = h.role === 'master' ? await hc.read(['sh', '-c', 'for f; do [ -f "$f" ] || exit 1; done', 'sh', ...CP_FILES], { allowFail: true, what: 'control-plane files present' }) : undefined;
        return { name: h.name, role: h.role, pki, controlPlaneFiles: files?.exitCode === 0 };
      }),
    );
    const seen = new Map<string, string[]>();
    for (const h of hosts) {
      const what = `CA ${h.pki.ca?.slice(0, 23) ?? 'absent'}; CA files ${h.pki.complete ? 'complete' : h.pki.present.length ? `partial (${h.pki.present.join(' ')})` : 'absent'}${h.role === 'master' ? `; control-plane files ${h.controlPlaneFiles ? 'present' : 'missing'}` : ''}`;
      seen.set(what, [...(seen.get(what) ?? []), h.name]);
    }
    for (const [what, names] of seen) ctx.log(`${names.join(', ')}: ${what}`);
    const earlier = readRunFile<PathDecision>(ctx, CHOICE);
    if (earlier) {
      // a resumed run: the facts now show a half-repaired cluster, which would look like another path
      ctx.shared.set(PATH_DECISION, earlier);
      ctx.log(`path: ${earlier.path} (chosen when this run started: ${earlier.reason})${earlier.lost.length ? `; masters rebuilt: ${earlier.lost.join(', ')}` : ''}`);
      return;
    }
    const d = choosePath(hosts, ctx.options.replaceCa);
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
