/**
 * What the lab can run from an image. Only the etcd image (registry.k8s.io/etcd, built from
 * kubernetes cluster/images/etcd/Dockerfile: distroless, `COPY etcd* etcdctl* /usr/local/bin/`,
 * bash-static as /bin/sh): its etcd and etcdctl are the machine's Debian ones, taken from the
 * machine's /usr through a non-recursive bind at /opt/lab/machine-usr (hosts.sh), so hiding
 * /usr/bin/etcdctl from a host does not hide it from the image. The machine's libraries are
 * mounted read-only under the image's /usr/lib for the dynamic loader: no other command is there.
 */

/** Where each lab host sees the machine's /usr (hosts.sh). */
export const MACHINE_USR = '/opt/lab/machine-usr';

/** A file or folder of the image's root filesystem and where the lab takes it from. */
export interface ImageFile {
  path: string;
  from: string;
  kind: 'file' | 'dir';
}

/** PATH of the image's config (distroless). */
export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The root filesystem of image `name`, or undefined when the lab cannot run it. */
export function imageFiles(name: string): ImageFile[] | undefined {
  if (!/^(registry\.k8s\.io|k8s\.gcr\.io)\/etcd[:@]/.test(name)) return undefined;
  return [
    { path: '/usr/local/bin/etcd', from: `${MACHINE_USR}/bin/etcd`, kind: 'file' },
    { path: '/usr/local/bin/etcdctl', from: `${MACHINE_USR}/bin/etcdctl`, kind: 'file' },
    { path: '/bin/sh', from: `${MACHINE_USR}/bin/bash`, kind: 'file' },
    { path: '/usr/lib', from: `${MACHINE_USR}/lib`, kind: 'dir' },
    { path: '/usr/lib64', from: `${MACHINE_USR}/lib64`, kind: 'dir' },
  ];
}

/** Executables of the image (what `exec` can find). */
export function executables(files: ImageFile[]): string[] {
  return files.filter((f) => f.kind === 'file').map((f) => f.path);
}

/** Resolve argv[0] the way runc does (exec.LookPath with the image's PATH); undefined when absent. */
export function lookPath(cmd: string, files: ImageFile[]): string | undefined {
  const exe = executables(files);
  if (cmd.includes('/')) return exe.includes(cmd) ? cmd : undefined;
  for (const d of IMAGE_PATH.split(':')) if (exe.includes(`${d}/${cmd}`)) return `${d}/${cmd}`;
  return undefined;
}
