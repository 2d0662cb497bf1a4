/**
 * What a host shows of a run, recorded inside the lab hosts, for the secret scans (issue 18):
 * - kubeadm wrapped (a bind mount over /usr/local/bin/kubeadm inside the host): every argument it
 *   was given, what `certs certificate-key` and `token create` printed (the certificate key cannot
 *   be read back from the cluster), and `ps -eo args` of the whole host at each kubeadm start (the
 *   sudo, sh and kubeadm processes of that moment, as any local user or hostPID pod sees them);
 * - a background sampler of `ps -eo args` every 0.3 s (commands other than kubeadm);
 * - sudo's own log (/var/log/sudo.log: spec/lab/hosts.sh `Defaults logfile`).
 */
import type { Lab } from '../helpers/lab.js';

/** The wrapper put over /usr/local/bin/kubeadm: records argv, the process list, and the secrets kubeadm prints. */
const WRAPPER = `#!/bin/sh
printf '%s\\n' "$*" >> /run/kmrec/argv
ps -eo args >> /run/kmrec/ps
case "$1 $2" in
  "certs certificate-key"|"token create")
    out=$(/run/kmrec/kubeadm-real "$@"); rc=$?
    printf '%s\\n' "$out"; printf '%s\\n' "$out" >> /run/kmrec/printed
    exit $rc ;;
esac
exec /run/kmrec/kubeadm-real "$@"
`;

/** The ps sampler (runs until /run/kmrec/sampler is removed). */
const SAMPLER = 'while [ -e /run/kmrec/sampler ]; do ps -eo args >> /run/kmrec/ps-bg; sleep 0.3; done';

/** Run a script in a host (nsenter, root); its stdout, or an error naming the host and script. */
export async function must(lab: Lab, host: string, script: string, input?: string): Promise<string> {
  const r = await lab.exec(host, ['sh', '-c', script], input === undefined ? undefined : { input });
  if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Start recording on every host (idempotent; records emptied): kubeadm wrapped, the ps sampler running, sudo's log truncated. */
export async function startRecording(lab: Lab): Promise<void> {
  for (const h of lab.hosts) {
    await must(
      lab,
      h.name,
      'mkdir -p /run/kmrec && : > /run/kmrec/argv && : > /run/kmrec/printed && : > /run/kmrec/ps && : > /run/kmrec/ps-bg && : > /var/log/sudo.log && ' +
        'if ! grep -q kmrec /usr/local/bin/kubeadm; then cp /usr/local/bin/kubeadm /run/kmrec/kubeadm-real && cat > /run/kmrec/kubeadm && chmod 0755 /run/kmrec/kubeadm && mount --bind /run/kmrec/kubeadm /usr/local/bin/kubeadm; fi',
      WRAPPER,
    );
    await must(lab, h.name, `touch /run/kmrec/sampler; setsid sh -c '${SAMPLER}' </dev/null >/dev/null 2>&1 &`);
  }
}

/** Stop the ps sampler on every host (the wrapper stays until unwrapKubeadm). */
export async function stopSampler(lab: Lab): Promise<void> {
  for (const h of lab.hosts) await lab.exec(h.name, ['rm', '-f', '/run/kmrec/sampler']);
}

/** Take the kubeadm wrapper off every host. */
export async function unwrapKubeadm(lab: Lab): Promise<void> {
  for (const h of lab.hosts)
    await lab.exec(h.name, ['sh', '-c', 'rm -f /run/kmrec/sampler; grep -q kmrec /usr/local/bin/kubeadm && umount /usr/local/bin/kubeadm; exit 0']);
}

/** What one host recorded. */
export interface HostRecord {
  /** kubeadm's argument lists, one per line. */
  argv: string;
  /** What `certs certificate-key` and `token create` printed. */
  printed: string;
  /** Every distinct line of every process list sampled (at kubeadm's starts and in the background). */
  ps: string[];
  /** sudo's log. */
  sudoLog: string;
}

/** The records of `host`. */
export async function hostRecord(lab: Lab, host: string): Promise<HostRecord> {
  const read = async (f: string) => (await lab.exec(host, ['sh', '-c', `cat ${f} 2>/dev/null; exit 0`])).stdout;
  const ps = new Set([...(await read('/run/kmrec/ps')).split('\n'), ...(await read('/run/kmrec/ps-bg')).split('\n')].filter(Boolean));
  return { argv: await read('/run/kmrec/argv'), printed: await read('/run/kmrec/printed'), ps: [...ps], sudoLog: await read('/var/log/sudo.log') };
}

/** The bootstrap tokens (full `id.secret`) in a text. */
export function tokensIn(text: string): string[] {
  return text.match(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g) ?? [];
}

/** The certificate keys kubeadm printed (`kubeadm certs certificate-key`: one 64-hex line) in a record. */
export function certificateKeysIn(printed: string): string[] {
  return printed.match(/^[0-9a-f]{64}$/gm) ?? [];
}
