/** The lab kubeadm writes kubeadm-flags.env as kubeadm's ArgumentsToCommand does. */
import test from 'ava';
import { argumentsToCommand } from './arguments.js';

const base = [
  { name: 'container-runtime-endpoint', value: 'unix:///var/run/containerd/containerd.sock' },
  { name: 'pod-infra-container-image', value: 'registry.k8s.io/pause:3.10' },
];

test("an extra arg with a base flag's name replaces it (written once, however many runs kept it); sorted by name, then value", (t) => {
  t.deepEqual(
    argumentsToCommand(base, [
      { name: 'pod-infra-container-image', value: 'registry.k8s.io/pause:3.10' },
      { name: 'node-ip', value: '10.9.0.7' },
    ]),
    ['--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock', '--node-ip=10.9.0.7', '--pod-infra-container-image=registry.k8s.io/pause:3.10'],
  );
  // every run re-reads the file into kubeletExtraArgs: the file stays the same (it grew by one flag a run before)
  let extra = [{ name: 'node-ip', value: '10.9.0.7' }];
  let file: string[] = [];
  for (let run = 0; run < 3; run++) {
    file = argumentsToCommand(base, extra);
    extra = file.map((f) => ({ name: f.slice(2, f.indexOf('=')), value: f.slice(f.indexOf('=') + 1) }));
  }
  t.is(file.filter((f) => f.startsWith('--pod-infra-container-image=')).length, 1);
  t.is(file.length, 3);
});

test('repeated extra args are all kept, in value order (a list in v1beta4)', (t) => {
  t.deepEqual(
    argumentsToCommand(
      [],
      [
        { name: 'node-labels', value: 'b=2' },
        { name: 'node-labels', value: 'a=1' },
      ],
    ),
    ['--node-labels=a=1', '--node-labels=b=2'],
  );
});
