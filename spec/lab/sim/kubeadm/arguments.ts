/**
 * kubeadm's ArgumentsToCommand (cmd/kubeadm/app/util/arguments.go, v1.31+ with []Arg): the
 * override arguments (nodeRegistration.kubeletExtraArgs) precede the base ones, a base argument
 * is dropped when an override has the same name (every instance of it), and the list is sorted by
 * name, then value. It is how kubeadm writes /var/lib/kubelet/kubeadm-flags.env, so a flag kubemend
 * keeps from the old file (e.g. --pod-infra-container-image) is written once, not once more per run.
 */

/** One `--name=value` argument. */
export interface Arg {
  name: string;
  value: string;
}

/** The `--name=value` list kubeadm writes for `base` overridden by `overrides`. */
export function argumentsToCommand(base: readonly Arg[], overrides: readonly Arg[]): string[] {
  const overridden = new Set(overrides.map((a) => a.name));
  const args = [...overrides, ...base.filter((a) => !overridden.has(a.name))];
  args.sort((a, b) => (a.name === b.name ? cmp(a.value, b.value) : cmp(a.name, b.name)));
  return args.map((a) => `--${a.name}=${a.value}`);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
