/**
 * Unit tests of the eviction pause's shell (lib/kube/eviction.ts), run with the machine's sh on
 * kubeadm-shaped manifests in a temporary folder: which controllers are disabled for each
 * controller-manager version (v1.28 knows no taint-eviction controller and refuses a name it does
 * not know), kubeadm's manifest kept and put back byte for byte, a paused manifest left as it is.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PAUSED_CONTROLLERS, PAUSE_SH, RESTORE_SH } from '../../lib/kube/eviction.js';

/** A kube-controller-manager manifest as kubeadm writes it (with or without --controllers). */
function manifest(version: string, controllers = true): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: kube-controller-manager
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-controller-manager
    - --authentication-kubeconfig=/etc/kubernetes/controller-manager.conf
${controllers ? '    - --controllers=*,bootstrapsigner,tokencleaner\n' : ''}    - --root-ca-file=/etc/kubernetes/pki/ca.crt
    image: registry.k8s.io/kube-controller-manager:${version}
    name: kube-controller-manager
`;
}

function setup(text: string) {
  const dir = tempDir(join(tmpdir(), 'kubemend-kcm-'));
  const m = join(dir, 'kube-controller-manager.yaml');
  const b = join(dir, 'kept.yaml');
  writeFileSync(m, text);
  const sh = (script: string, args: string[]) =>
    execFileSync('sh', ['-c', script, 'sh', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  return {
    m,
    b,
    pause: () => sh(PAUSE_SH, [m, b, PAUSED_CONTROLLERS, '-node-lifecycle-controller']),
    restore: () => sh(RESTORE_SH, [m, b]),
  };
}

const controllersLine = (text: string) =>
  text
    .split('\n')
    .find((l) => l.includes('--controllers='))
    ?.trim();

test("v1.29 and later: node-lifecycle and taint-eviction controllers disabled; kubeadm's manifest kept and put back byte for byte", (t) => {
  for (const v of ['v1.29.0', 'v1.32.3', 'v1.33.1']) {
    const original = manifest(v);
    const s = setup(original);
    t.is(s.pause(), 'paused');
    t.is(controllersLine(readFileSync(s.m, 'utf8')), '- --controllers=*,bootstrapsigner,tokencleaner,-node-lifecycle-controller,-taint-eviction-controller', v);
    t.is(readFileSync(s.b, 'utf8'), original, 'the kubeadm manifest is kept');
    t.is(s.pause(), 'already', 'a paused manifest is left as it is');
    t.is(s.restore(), 'restored');
    t.is(readFileSync(s.m, 'utf8'), original);
    t.false(existsSync(s.b));
    t.is(s.restore(), 'nothing');
  }
});

test('v1.28: only the node-lifecycle controller disabled (it evicts by taint itself; "taint-eviction-controller" would stop the controller-manager from starting)', (t) => {
  const s = setup(manifest('v1.28.15'));
  t.is(s.pause(), 'paused');
  const line = controllersLine(readFileSync(s.m, 'utf8'));
  t.is(line, '- --controllers=*,bootstrapsigner,tokencleaner,-node-lifecycle-controller');
  t.false(readFileSync(s.m, 'utf8').includes('taint-eviction'));
  t.is(s.pause(), 'already');
});

test("a manifest without --controllers gets kubeadm's list plus the disabled ones; an image without a version tag gets both", (t) => {
  const s = setup(manifest('v1.30.2', false));
  t.is(s.pause(), 'paused');
  t.is(controllersLine(readFileSync(s.m, 'utf8')), '- --controllers=*,bootstrapsigner,tokencleaner,-node-lifecycle-controller,-taint-eviction-controller');
  const d = setup(manifest('v1.31.0').replace(/:v1\.31\.0/, '@sha256:' + 'a'.repeat(64)));
  t.is(d.pause(), 'paused');
  t.regex(controllersLine(readFileSync(d.m, 'utf8')) ?? '', /,-node-lifecycle-controller,-taint-eviction-controller$/);
});

test('a file that is not a controller-manager manifest is refused and left unchanged', (t) => {
  const s = setup('apiVersion: v1\nkind: Pod\n');
  const err = t.throws(() => s.pause()) as Error & { stderr?: string };
  t.regex(String(err.stderr), /cannot find the command of kube-controller-manager in /);
  t.is(readFileSync(s.m, 'utf8'), 'apiVersion: v1\nkind: Pod\n');
  t.false(existsSync(s.b));
});
