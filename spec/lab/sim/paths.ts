/**
 * Where the simulated node software keeps things. Real absolute paths, as on a kubeadm node;
 * LAB_ROOT (default "/") prefixes them all so unit tests can run a component in a temp folder.
 */
import { join } from 'node:path';

/** The filesystem root the sim works under ("/" inside a lab host). */
export const ROOT = process.env.LAB_ROOT || '/';

/** A path under ROOT. */
export function p(...parts: string[]): string {
  return join(ROOT, ...parts);
}

/** Well-known kubeadm and kubelet paths. */
export const paths = {
  kubernetes: p('etc/kubernetes'),
  pki: p('etc/kubernetes/pki'),
  etcdPki: p('etc/kubernetes/pki/etcd'),
  manifests: p('etc/kubernetes/manifests'),
  adminConf: p('etc/kubernetes/admin.conf'),
  superAdminConf: p('etc/kubernetes/super-admin.conf'),
  kubeletConf: p('etc/kubernetes/kubelet.conf'),
  bootstrapKubeletConf: p('etc/kubernetes/bootstrap-kubelet.conf'),
  controllerManagerConf: p('etc/kubernetes/controller-manager.conf'),
  schedulerConf: p('etc/kubernetes/scheduler.conf'),
  kubeletDir: p('var/lib/kubelet'),
  kubeletPki: p('var/lib/kubelet/pki'),
  kubeletConfigYaml: p('var/lib/kubelet/config.yaml'),
  kubeadmFlagsEnv: p('var/lib/kubelet/kubeadm-flags.env'),
  etcdData: p('var/lib/etcd'),
  /** Runtime state of the simulated CRI and daemons (tmpfs per host). */
  run: p('run/lab'),
  cri: p('run/lab/cri'),
  workloads: p('run/lab/workloads'),
  kubeletPid: p('run/lab/kubelet.pid'),
  kubeletLog: p('var/log/kubelet.log'),
  unitWants: p('etc/systemd/system/multi-user.target.wants'),
};
