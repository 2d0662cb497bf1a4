/**
 * The lab ctr's shape against containerd 1.7's cmd/ctr (run.go parseMountFlag, runc's exec
 * lookup in the image): what it accepts and what it refuses, without a lab.
 */
import test from 'ava';
import { parseMountFlag } from './sim/ctr/run.js';
import { imageFiles, lookPath } from './sim/ctr/image-fs.js';
import { imageRefs } from './sim/cri/images.js';

test('--mount parses like ctr: src/source, dst/destination, options split on ":", unknown keys and bare words refused', (t) => {
  t.deepEqual(parseMountFlag('type=bind,src=/var/lib/x,dst=/d,options=rbind:rw'), {
    type: 'bind',
    source: '/var/lib/x',
    destination: '/d',
    options: ['rbind', 'rw'],
  });
  t.deepEqual(parseMountFlag('type=bind,source=/a,destination=/b'), { type: 'bind', source: '/a', destination: '/b', options: [] });
  t.throws(() => parseMountFlag('type=bind,src=/a,target=/b'), { message: 'mount option "target" not supported' });
  t.throws(() => parseMountFlag('type=bind,/a'), { message: 'invalid mount specification: expected key=val' });
});

test('the etcd image holds etcd and etcdctl under /usr/local/bin (kubernetes cluster/images/etcd), and sh; nothing else runs', (t) => {
  const files = imageFiles('registry.k8s.io/etcd:3.5.16-0')!;
  t.is(lookPath('etcd', files), '/usr/local/bin/etcd');
  t.is(lookPath('etcdctl', files), '/usr/local/bin/etcdctl');
  t.is(lookPath('/usr/local/bin/etcdctl', files), '/usr/local/bin/etcdctl');
  t.is(lookPath('sh', files), '/bin/sh');
  for (const c of ['cat', 'cp', 'etcdutl', '/usr/bin/etcdctl', 'kubeadm']) t.is(lookPath(c, files), undefined, c);
  t.is(imageFiles('registry.k8s.io/kube-apiserver:v1.32.4'), undefined, 'other images are not runnable in the lab');
});

test('an image is listed under the three references CRI gives it', (t) => {
  const refs = imageRefs({ name: 'registry.k8s.io/etcd:3.5.16-0', namespace: 'k8s.io', digest: 'sha256:aa', id: 'sha256:bb', size: 1, pulledAt: '' });
  t.deepEqual(refs, ['registry.k8s.io/etcd:3.5.16-0', 'registry.k8s.io/etcd@sha256:aa', 'sha256:bb']);
});
