/**
 * Unit tests of the lab kubelet's reading of the static pod folder: a manifest is parsed again only
 * when its text changed, so both sync loops can read the folder every second; what they get back is
 * shared, hence frozen; a change, a broken file and a removed file are seen on the next read.
 */
import test from 'ava';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tempDir } from '../../../helpers/tmp.js';
import { readManifests } from './staticpods.js';

const pod = (image: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd\n  namespace: kube-system\nspec:\n  containers:\n  - name: etcd\n    image: ${image}\n    command: [etcd]\n`;

test('a manifest is read again when its text changes, shared read-only while it does not; broken and removed files drop out', (t) => {
  const dir = tempDir(join(tmpdir(), 'kubemend-static-'));
  writeFileSync(join(dir, 'etcd.yaml'), pod('registry.k8s.io/etcd:3.5.16-0'));
  const [first] = readManifests(dir, 'm1');
  t.is(first.fullName, 'etcd-m1');
  const [again] = readManifests(dir, 'm1');
  t.is(again.manifest, first.manifest, 'unchanged text: the parsed document is reused');
  t.throws(
    () => {
      again.manifest.spec.containers[0].image = 'changed';
    },
    { instanceOf: TypeError },
    'the shared document cannot be altered by one caller',
  );
  writeFileSync(join(dir, 'etcd.yaml'), pod('registry.k8s.io/etcd:3.5.21-0'));
  const [changed] = readManifests(dir, 'm1');
  t.is(changed.manifest.spec.containers[0].image, 'registry.k8s.io/etcd:3.5.21-0');
  t.not(changed.uid, first.uid, 'a changed manifest is another pod');
  writeFileSync(join(dir, 'broken.yaml'), 'kind: Pod\nspec: [\n');
  t.deepEqual(
    readManifests(dir, 'm1').map((m) => m.name),
    ['etcd'],
    'a file that does not parse is skipped',
  );
  t.deepEqual(
    readManifests(dir, 'm1').map((m) => m.name),
    ['etcd'],
    'and still skipped on the next read',
  );
  rmSync(join(dir, 'etcd.yaml'));
  t.deepEqual(readManifests(dir, 'm1'), [], 'a removed manifest is gone');
});
