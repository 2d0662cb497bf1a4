/** Which Ansible vars kubemend reads, and what it says about the `ansible_*` vars it does not support. */

/** Host vars kubemend maps onto its own settings (docs/inventory.md has the table). */
export const HOST_VARS = {
  address: ['ansible_host', 'ansible_ssh_host'],
  user: ['ansible_user', 'ansible_ssh_user'],
  port: ['ansible_port', 'ansible_ssh_port'],
  identityFile: ['ansible_ssh_private_key_file', 'ansible_private_key_file'],
  becomePassword: ['ansible_become_password', 'ansible_become_pass', 'ansible_sudo_pass', 'ansible_sudo_password'],
  labels: ['node_labels'],
  /** kubespray's ip (the address the kubelet advertises) and access_ip, and kubemend's own list: the serving certificate's allowed SANs. */
  servingSANs: ['ip', 'access_ip', 'kubemend_serving_sans'],
} as const;

/** Cluster-wide vars kubemend reads (from the first master's vars). */
export const CLUSTER_VARS = [
  'kubemend_cluster_name',
  'cluster_name',
  'apiserver_loadbalancer_domain_name',
  'loadbalancer_apiserver',
  'loadbalancer_apiserver_port',
  'etcd_deployment_type',
] as const;

const USED = new Set<string>([...Object.values(HOST_VARS).flat(), ...CLUSTER_VARS]);

/** True for a var whose value kubemend uses. */
export function usedVar(name: string): boolean {
  return USED.has(name);
}

const truthy = (v: unknown): boolean => v === true || (typeof v === 'string' && /^(true|yes|on|1|y|t)$/i.test(v.trim())) || v === 1;
const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : JSON.stringify(v));

/**
 * What to warn about an `ansible_*` var, or undefined when kubemend honours it (or it has no
 * effect on what kubemend does). Values are only shown for settings that are never secret.
 */
export function unsupportedVarNote(name: string, value: unknown): string | undefined {
  if (!name.startsWith('ansible_') || USED.has(name)) return undefined;
  if (name === 'ansible_group_priority' || /^ansible_\w*_interpreter$/.test(name)) return undefined;
  switch (name) {
    case 'ansible_become':
      return truthy(value) ? undefined : 'kubemend runs its commands as root (through sudo for a user other than root): ansible_become false is not honoured';
    case 'ansible_become_method':
      return str(value) === 'sudo' ? undefined : `kubemend becomes root with sudo only: become method ${str(value)} is not supported`;
    case 'ansible_become_user':
      return str(value) === 'root' ? undefined : `kubemend becomes root only: become user ${str(value)} is not supported`;
    case 'ansible_connection':
      return ['ssh', 'smart', 'paramiko', 'paramiko_ssh'].includes(str(value))
        ? undefined
        : `kubemend connects over SSH only: connection ${str(value)} is not supported`;
    case 'ansible_password':
    case 'ansible_ssh_pass':
    case 'ansible_ssh_password':
      return 'password login is not supported: kubemend logs in with a key (ansible_ssh_private_key_file) or the SSH agent';
    case 'ansible_host_key_checking':
    case 'ansible_ssh_host_key_checking':
      return 'not honoured: kubemend always checks host keys against known_hosts';
    case 'ansible_ssh_common_args':
    case 'ansible_ssh_extra_args':
    case 'ansible_ssh_args':
      return /ProxyCommand|ProxyJump|(^|\s)-J\b/i.test(str(value))
        ? 'not passed (kubemend does not run ssh): for a jump host use the bastion group or ProxyJump in ~/.ssh/config'
        : 'not passed: kubemend does not run ssh, so extra ssh arguments are ignored';
    default:
      return 'not supported by kubemend: ignored';
  }
}
