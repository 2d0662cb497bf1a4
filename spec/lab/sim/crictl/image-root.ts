/**
 * What `crictl exec` finds in a container: the files of its image (spec/lab/sim/ctr/image-fs.ts:
 * registry.k8s.io/etcd's etcd, etcdctl and /bin/sh, taken from the machine's /usr, which
 * a lab host sees at /opt/lab/machine-usr even though its own /usr/bin hides etcdctl), laid out
 * as symlinks under the runtime's state, so a command exec'd into the container (a shell
 * included) finds only the image's programs on its PATH, as in the real container. The container
 * shares its host's filesystem otherwise: the static pod's hostPath mounts (/etc/kubernetes/pki/etcd,
 * /var/lib/etcd) are at the same paths.
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { paths } from '../paths.js';
import { IMAGE_PATH, executables, imageFiles, lookPath } from '../ctr/image-fs.js';

/** An image's executables as a tree of symlinks, and how to run a command in it. */
export interface ImageRoot {
  root: string;
  /** The image's PATH, inside the tree. */
  path: string;
  workdir: string;
  /** argv[0] resolved as runc does (a path in the image, or the first match on its PATH), inside the tree. */
  resolve(cmd: string): string | undefined;
}

/** The tree of `image` (made once per host), or undefined for an image the lab cannot exec into. */
export function imageRoot(image: string): ImageRoot | undefined {
  const files = imageFiles(image);
  if (!files) return undefined;
  const root = join(paths.cri, 'rootfs', image.replace(/[^a-zA-Z0-9._-]/g, '_'));
  for (const f of files.filter((x) => x.kind === 'file')) {
    const at = join(root, f.path);
    if (existsSync(at)) continue;
    mkdirSync(dirname(at), { recursive: true });
    try {
      symlinkSync(existsSync(f.from) ? f.from : f.from.replace(/^\/opt\/lab\/machine-usr\//, '/usr/'), at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const exe = executables(files);
  return {
    root,
    path: IMAGE_PATH.split(':')
      .map((d) => root + d)
      .join(':'),
    workdir: '/',
    resolve: (cmd) => {
      const hit = lookPath(cmd, files);
      return hit && exe.includes(hit) ? join(root, hit) : undefined;
    },
  };
}
