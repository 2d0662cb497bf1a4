/**
 * The lab's containerd image store (namespace k8s.io, where the CRI plugin keeps what the kubelet
 * pulls): one JSON record per image under /var/lib/containerd/lab/images, so it survives
 * `rm -rf /etc/kubernetes` like real images do. The kubelet records an image when it first starts
 * a container from it (imagePullPolicy IfNotPresent). `ctr -n k8s.io images ls` lists each image
 * the way CRI names it: `repo:tag`, `repo@sha256:<manifest digest>`, `sha256:<image id>`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p } from '../paths.js';

/** One image pulled into a containerd namespace. */
export interface ImageRecord {
  /** `repo:tag` as the pod spec named it. */
  name: string;
  namespace: string;
  /** Manifest-list digest (`sha256:...`). */
  digest: string;
  /** The image id (config digest, `sha256:...`). */
  id: string;
  size: number;
  pulledAt: string;
}

/** Where the image records live. */
export const imagesDir = () => p('var/lib/containerd/lab/images');

const sha = (s: string) => 'sha256:' + createHash('sha256').update(s).digest('hex');

/** Record `name` as pulled into `namespace` (once; later calls keep the first record). */
export function recordImage(name: string, namespace = 'k8s.io'): void {
  if (!name) return;
  const dir = imagesDir();
  const file = join(dir, `${createHash('sha256').update(`${namespace}/${name}`).digest('hex')}.json`);
  if (existsSync(file)) return;
  mkdirSync(dir, { recursive: true });
  const rec: ImageRecord = {
    name,
    namespace,
    digest: sha(`manifest-list ${name}`),
    id: sha(`config ${name}`),
    size: 20_000_000 + (parseInt(sha(name).slice(7, 13), 16) % 40_000_000),
    pulledAt: new Date().toISOString(),
  };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(rec, null, 1) + '\n');
  renameSync(tmp, file);
}

/** Every image of `namespace`, by name. */
export function listImages(namespace: string): ImageRecord[] {
  let files: string[];
  try {
    files = readdirSync(imagesDir()).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: ImageRecord[] = [];
  for (const f of files) {
    try {
      const r = JSON.parse(readFileSync(join(imagesDir(), f), 'utf8')) as ImageRecord;
      if (r.namespace === namespace) out.push(r);
    } catch {
      // being written: skip
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** The references CRI gives an image: repo:tag, repo@digest, the image id. */
export function imageRefs(r: ImageRecord): string[] {
  const repo = r.name.replace(/:[^:/]+$/, '');
  return [r.name, `${repo}@${r.digest}`, r.id];
}

/** The image a reference names in `namespace`, if any. */
export function findImage(namespace: string, ref: string): ImageRecord | undefined {
  return listImages(namespace).find((r) => imageRefs(r).includes(ref));
}
