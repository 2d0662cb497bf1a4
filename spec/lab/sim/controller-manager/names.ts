/**
 * Controller names and the `--controllers` flag, as kube-controller-manager 1.32 reads them:
 * canonical names (`node-lifecycle-controller`) or their old aliases (`nodelifecycle`), `*` for
 * every controller on by default, `-name` to disable; bootstrapsigner and tokencleaner are off by
 * default (kubeadm turns them on with `--controllers=*,bootstrapsigner,tokencleaner`).
 */

/** Canonical name -> its alias, for the controllers this simulator runs. */
export const CONTROLLERS: Record<string, string> = {
  'serviceaccount-token-controller': 'serviceaccount-token',
  'root-ca-certificate-publisher-controller': 'root-ca-cert-publisher',
  'certificatesigningrequest-approving-controller': 'csrapproving',
  'certificatesigningrequest-signing-controller': 'csrsigning',
  'bootstrap-signer-controller': 'bootstrapsigner',
  'token-cleaner-controller': 'tokencleaner',
  'node-lifecycle-controller': 'nodelifecycle',
  'daemonset-controller': 'daemonset',
  'deployment-controller': 'deployment',
  'replicaset-controller': 'replicaset',
  'disruption-controller': 'disruption',
  'serviceaccount-controller': 'serviceaccount',
};

/** Controllers that `*` does not turn on. */
export const DISABLED_BY_DEFAULT = new Set(['bootstrap-signer-controller', 'token-cleaner-controller']);

const ALIASES = new Map(Object.entries(CONTROLLERS).map(([name, alias]) => [alias, name]));

/** The canonical name of a controller name or alias (unknown names come back unchanged). */
export function canonical(name: string): string {
  return ALIASES.get(name) ?? name;
}

/** Whether controller `name` (canonical) is on under the `--controllers` list, as the real IsControllerEnabled. */
export function isEnabled(name: string, controllers: readonly string[]): boolean {
  let star = false;
  for (const raw of controllers) {
    const neg = raw.startsWith('-');
    const c = canonical(neg ? raw.slice(1) : raw);
    if (c === name) return !neg;
    if (raw === '*') star = true;
  }
  return star && !DISABLED_BY_DEFAULT.has(name);
}

/** Names in a `--controllers` list that are neither `*` nor a controller this simulator runs. */
export function unknownControllers(controllers: readonly string[]): string[] {
  return controllers.filter((raw) => raw !== '*' && !(canonical(raw.replace(/^-/, '')) in CONTROLLERS));
}
