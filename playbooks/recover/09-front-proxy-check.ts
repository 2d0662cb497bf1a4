/** Step 9: extension-apiserver-authentication holds the new front-proxy CA (replace-ca: the ConfigMap is deleted so the apiserver rewrites it without the old CAs). */
import type { HostPhase } from '../../lib/core/types.js';
import { firstMaster } from '../../lib/core/hosts.js';
import { type RecoverOptions, decision, rebuildsAll } from './common.js';
import { kubectlOn } from '../shared/commands.js';
import { waitFor } from '../shared/wait-for.js';

/** The base64 body of a PEM (one line), to look for it inside a bundle. */
export function pemBody(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/** Step 9. */
export const frontProxyPhase: HostPhase<RecoverOptions> = {
  id: 'first/front-proxy-check',
  title: '9. extension-apiserver-authentication carries the new front-proxy CA (replace-ca: rewritten without the old CA)',
  hosts: firstMaster,
  strategy: { kind: 'serial' },
  shouldRun: rebuildsAll,
  async run(h) {
    if (decision(h).path === 'replace-ca') {
      await h.run(kubectlOn(h.host, '-n', 'kube-system', 'delete', 'configmap', 'extension-apiserver-authentication', '--ignore-not-found'), {
        what: 'delete extension-apiserver-authentication',
      });
    }
    // made by step 5 of this run: a dry run cannot read it yet
    const fp = pemBody(
      (await h.wet('read pki/front-proxy-ca.crt', () => h.download('/etc/kubernetes/pki/front-proxy-ca.crt'), Buffer.alloc(0))).toString('utf8'),
    );
    await waitFor(h, 'the new front-proxy CA in extension-apiserver-authentication', async () => {
      const r = await h.read(
        kubectlOn(h.host, '-n', 'kube-system', 'get', 'configmap', 'extension-apiserver-authentication', '-o', 'jsonpath={.data.requestheader-client-ca-file}'),
        { allowFail: true, what: 'kubectl get extension-apiserver-authentication' },
      );
      return pemBody(r.stdout).includes(fp) ? true : 'not there yet';
    });
  },
};
