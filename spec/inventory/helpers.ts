/** Test helpers: temp dirs with inventory and ssh config files. */
import { writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp dir (removed when the test process exits) with `files` (name -> content) written into it. */
export function tempFiles(files: Record<string, string>): string {
  const dir = tempDir(join(tmpdir(), 'kubemend-inv-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** A small valid inventory in kubemend's format (3 masters, 2 workers). */
export const VALID = `cluster: c1
controlPlaneEndpoint: 10.0.0.10:6443
ssh:
  user: root
  connectTimeout: 5s
hosts:
  - name: m1
    address: 10.0.0.11
    role: master
    labels: {zone: a}
  - name: m2
    address: 10.0.0.12
    role: master
  - name: m3
    address: 10.0.0.13
    role: master
  - name: w1
    address: 10.0.1.21
    role: worker
  - name: w2
    address: 10.0.1.22
    role: worker
    port: 2222
`;
