/**
 * What the lab's container images hold, for `crictl exec`: the files of the real image that a
 * command in the container can run, each mapped to the machine's binary that plays it. A lab
 * container runs on its host's filesystem (the static pod's hostPath mounts, /etc/kubernetes/pki
 * and /var/lib/etcd, are at the same paths), but a command exec'd into it only finds the image's
 * programs on its PATH, as in the real container.
 *
 * registry.k8s.io/etcd (kubernetes cluster/images/etcd/Dockerfile, commit 147581ef): a distroless
 * image with /bin/sh (bash-static), /bin/cp, /usr/local/bin/etcd and etcdctl (etcdutl,
 * migrate-if-needed.sh and migrate too; the lab's machine has no etcdutl, so the lab's image
 * neither). The control-plane images (kube-apiserver, ...) are distroless with their one binary.
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { paths } from '../paths.js';

/** Where a lab host sees the machine's /usr/bin, whose etcdctl its own /usr/bin hides (spec/lab/hosts.sh). */
export const MACHINE_USR_BIN = '/opt/lab/machine-usr-bin';

/** The machine's binary `name` (outside a lab host: /usr/bin). */
export function machineBinary(name: string): string {
  const dir = process.env.LAB_MACHINE_USR_BIN || (existsSync(MACHINE_USR_BIN) ? MACHINE_USR_BIN : '/usr/bin');
  return join(dir, name);
}

/** An image's filesystem as far as exec is concerned. */
export interface ImageFs {
  /** Image path -> machine path. */
  files: Record<string, string>;
  /** The image's PATH (its config's Env). */
  path: string[];
  workdir: string;
}

/** distroless's PATH. */
const DISTROLESS_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The filesystem of `image` (undefined: an image the lab does not model for exec). */
export function imageFs(image: string): ImageFs | undefined {
  const repo = image.replace(/[:@].*$/, '');
  if (repo === 'registry.k8s.io/etcd') {
    return {
      files: {
        '/usr/local/bin/etcd': machineBinary('etcd'),
        '/usr/local/bin/etcdctl': machineBinary('etcdctl'),
        '/bin/sh': '/bin/bash',
        '/bin/cp': '/bin/cp',
      },
      path: DISTROLESS_PATH,
      workdir: '/',
    };
  }
  const component = /^registry\.k8s\.io\/(kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy)$/.exec(repo)?.[1];
  if (component) return { files: { [`/usr/local/bin/${component}`]: `/usr/local/bin/${component}` }, path: DISTROLESS_PATH, workdir: '/' };
  return undefined;
}

/**
 * The image's files laid out as symlinks under the runtime's state (made once per host), so a
 * shell exec'd into the container searches only them: returns the root of that tree.
 */
export function imageRoot(image: string, fs: ImageFs): string {
  const root = join(paths.cri, 'rootfs', image.replace(/[^a-zA-Z0-9._-]/g, '_'));
  for (const [inImage, real] of Object.entries(fs.files)) {
    const at = join(root, inImage);
    if (existsSync(at)) continue;
    mkdirSync(dirname(at), { recursive: true });
    try {
      symlinkSync(real, at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return root;
}

/**
 * Resolve a command as the container's runtime does (runc's exec: a name with a slash is a path
 * in the image, else the first match on the image's PATH); undefined when the image lacks it.
 */
export function resolveInImage(fs: ImageFs, root: string, cmd: string): string | undefined {
  if (cmd.includes('/')) return fs.files[cmd] ? join(root, cmd) : undefined;
  for (const dir of fs.path) if (fs.files[`${dir}/${cmd}`]) return join(root, dir, cmd);
  return undefined;
}
