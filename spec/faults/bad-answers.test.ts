/**
 * Bad answers from hosts: a kubeadm that prints garbage, a missing binary, a full disk. Each gives
 * a clear error naming the host and the phase, exit 1, no stack trace, and the other hosts are
 * unaffected. Lab: the shared net-98 cluster (spec/security/shared-lab.ts); the fake kubeadm and
 * the missing one are bind mounts over the lab's /usr/local/bin inside one host, undone after.
 */
import test from 'ava';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runPlaybook } from '../../lib/core/runner.js';
import { definePlaybook } from '../../lib/core/types.js';
import { serviceActive } from '../../lib/core/facts.js';
import { controlPlaneContainers } from '../../lib/facts/containers.js';
import { FakeTransport, fakeInventory } from '../helpers/fake-transport.js';
import { requireRoot, type Lab } from '../helpers/lab.js';
import { MAIN, cli, type CliResult } from '../cli/run-cli.js';
import { acquireLab, releaseLab } from '../security/shared-lab.js';
import { KUBECTL } from '../lab/cluster/kube.js';

const exec = promisify(execFile);
const STACK = /\n\s+at \S+ \(|\n\s+at file:|node:internal/;

/** Nodes' Ready status from real kubectl. */
async function ready(lab: Lab): Promise<Record<string, boolean>> {
  const r = await exec(KUBECTL, ['--kubeconfig', join(lab.dir, 'admin.conf'), 'get', 'nodes', '-o', 'json'], { maxBuffer: 16 << 20 });
  const out: Record<string, boolean> = {};
  for (const n of JSON.parse(r.stdout).items) out[n.metadata.name] = n.status.conditions.some((c: any) => c.type === 'Ready' && c.status === 'True');
  return out;
}

/** Runs a command in a host's namespaces and fails loudly when it fails (test setup). */
async function must(lab: Lab, host: string, script: string): Promise<string> {
  const r = await lab.exec(host, ['sh', '-c', script]);
  if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * The run's failure summary lines (`- HOST: PHASE: ...`), not the plan's: a failure the plan
 * already meets within --max-failures is shown first as a warning ('these will fail again in
 * the run'; rejoin-workers plans kubeadm's version for its JoinConfiguration), then in the recap.
 */
function failures(r: CliResult): string[] {
  const lines = (r.stdout + r.stderr).split('\n');
  const warned = lines.map((l, i) => (/these will fail again in the run/.test(l) ? i : -1)).filter((i) => i >= 0);
  const planned = new Set<number>();
  for (const w of warned) for (let i = w + 1; i < lines.length && /^\s*- \S+: \S+: /.test(lines[i]); i++) planned.add(i);
  return lines.filter((l, i) => !planned.has(i) && /^\s*- \S+: \S+: /.test(l)).map((l) => l.trim());
}

/** A fresh state folder (removed when the file's process ends, tempDir: backups hold private keys). */
function state(): string {
  mkdirSync('/tmp/h-sec', { recursive: true });
  return tempDir('/tmp/h-sec/faults-state-');
}

// ---------------------------------------------------------------- without the lab

test('a fact whose command is missing (exit 127) fails its host, naming the command, instead of being read as an answer', async (t) => {
  const inv = fakeInventory();
  const names = inv.hosts.map((h) => h.name);
  const broken = names[0]!;
  const fake = new FakeTransport()
    .on(/^crictl /, { exitCode: 0, stdout: 'abcdef0123456\n' })
    .on(/^systemctl is-active/, { exitCode: 0, stdout: 'active\n' })
    .on(/^crictl /, { exitCode: 127, stderr: 'sh: 1: crictl: not found\n' }, broken)
    .on(/^systemctl is-active/, { exitCode: 127, stderr: 'sh: 1: systemctl: not found\n' }, broken);
  const seen = new Map<string, string>();
  const pb = definePlaybook({
    name: 'probe',
    description: 'facts that need a binary',
    destructive: false,
    readOnly: true,
    phases: [
      {
        id: 'probe/facts',
        title: 'containers and kubelet',
        hosts: (c) => c.hosts,
        strategy: { kind: 'parallel', maxFailures: '100%' },
        async run(h) {
          const ids = await h.fact(controlPlaneContainers);
          const kubelet = await h.fact(serviceActive('kubelet'));
          seen.set(h.host.name, `${ids.length} ${kubelet}`);
        },
      },
    ],
  });
  const r = await runPlaybook({ playbook: pb, inventory: inv, transport: fake, options: {}, dryRun: false, runId: 'missing-bin', sinks: [], selection: {} });
  t.false(seen.has(broken), 'no answer was made up for the host without crictl');
  for (const n of names.slice(1)) t.is(seen.get(n), '1 true', `${n} unaffected`);
  t.is(r.failures.length, 1);
  t.is(r.failures[0]?.host, broken);
  t.is(r.failures[0]?.phase, 'probe/facts');
  t.regex(r.failures[0]?.error ?? '', /crictl: a command was not found on the host \(exit 127\): sh: 1: crictl: not found/);
});

// ---------------------------------------------------------------- on the lab

let lab: Lab;

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  lab = await acquireLab();
  const b = await lab.lab(['break', 'worker-pki', '--hosts', 'w1']);
  if (b.code !== 0) throw new Error(`lab break worker-pki: ${b.stderr}`);
});

test.serial('kubeadm token create printing garbage on m1: rejoin-workers exits 1 naming w1 and workers/rejoin, no stack trace, w2 untouched', async (t) => {
  if (!requireRoot(t)) return;
  // a kubeadm whose `token create` exits 0 with no token in its output; everything else is the lab's kubeadm
  await must(
    lab,
    'm1',
    `mkdir -p /run/fake && cat > /run/fake/kubeadm <<'EOF'
#!/bin/sh
if [ "$1 $2" = "token create" ]; then echo "W1129 unexpected: token store busy, try later"; exit 0; fi
exec /run/fake/kubeadm-real "$@"
EOF
chmod 0755 /run/fake/kubeadm && cp /usr/local/bin/kubeadm /run/fake/kubeadm-real && mount --bind /run/fake/kubeadm /usr/local/bin/kubeadm`,
  );
  try {
    t.regex(await must(lab, 'm1', 'kubeadm token create'), /token store busy/, 'the fake is in place');
    const r = await cli(MAIN, ['run', 'rejoin-workers', '-i', lab.inventoryPath, '--yes', '--state-dir', state(), '--max-failures', '1']);
    t.is(r.code, 1, r.stdout + r.stderr);
    const f = failures(r);
    t.is(f.length, 1, f.join('\n'));
    t.regex(
      f[0] ?? '',
      /^- w1: workers\/rejoin: .*m1: kubeadm token create printed no bootstrap token/,
      'names the host, the phase, and where the token did not come from',
    );
    t.false((r.stdout + r.stderr).includes('token store busy'), 'the output that might hold a secret is not echoed');
    t.notRegex(r.stdout + r.stderr, STACK, 'no stack trace');
    t.regex(r.stdout, /w2 \| workers\/rejoin: skipped/, 'w2 was not touched');
  } finally {
    await lab.exec('m1', ['umount', '/usr/local/bin/kubeadm']);
  }
  t.true((await ready(lab)).w2, 'w2 Ready');
});

test.serial('kubeadm missing on w1: rejoin-workers exits 1 naming w1, workers/rejoin and kubeadm, no stack trace, w2 untouched', async (t) => {
  if (!requireRoot(t)) return;
  // the lab's /usr/local/bin without kubeadm, bound over it inside w1 only
  await must(
    lab,
    'w1',
    'rm -rf /run/nokubeadm && mkdir /run/nokubeadm && cp -a /usr/local/bin/. /run/nokubeadm/ && rm /run/nokubeadm/kubeadm && mount --bind /run/nokubeadm /usr/local/bin',
  );
  try {
    t.not((await lab.exec('w1', ['sh', '-c', 'command -v kubeadm'])).code, 0, 'kubeadm is gone on w1');
    const r = await cli(MAIN, ['run', 'rejoin-workers', '-i', lab.inventoryPath, '--yes', '--state-dir', state(), '--max-failures', '1']);
    t.is(r.code, 1, r.stdout + r.stderr);
    const f = failures(r);
    t.is(f.length, 1, f.join('\n'));
    // the first kubeadm call on w1 is now the version read that picks the JoinConfiguration's apiVersion
    t.regex(f[0] ?? '', /^- w1: workers\/rejoin: fact kubemend:kubeadm-version: kubeadm: a command was not found on the host \(exit 127\)/);
    t.notRegex(r.stdout + r.stderr, STACK, 'no stack trace');
    t.regex(r.stdout, /w2 \| workers\/rejoin: skipped/, 'w2 was not touched');
  } finally {
    await lab.exec('w1', ['umount', '/usr/local/bin']);
  }
  t.true((await ready(lab)).w2, 'w2 Ready');
});

test.serial(
  'full disk on w2 (64 KiB tmpfs, full, over /var/backups/kubemend): backup exits 1 naming w2 and backup/archive, m1 and w1 archives pulled',
  async (t) => {
    if (!requireRoot(t)) return;
    await must(
      lab,
      'w2',
      'mkdir -p /var/backups/kubemend && mount -t tmpfs -o size=64k kmfull /var/backups/kubemend && (head -c 100000 /dev/zero > /var/backups/kubemend/old-backup 2>/dev/null; true)',
    );
    const dir = state();
    try {
      t.regex(await must(lab, 'w2', 'df -k /var/backups/kubemend | tail -n 1'), /\s0\s+100%/, 'the disk is full');
      const r = await cli(MAIN, ['run', 'backup', '-i', lab.inventoryPath, '--yes', '--state-dir', dir]);
      t.is(r.code, 1, r.stdout + r.stderr);
      const f = failures(r);
      t.is(f.length, 1, f.join('\n'));
      t.regex(
        f[0] ?? '',
        /^- w2: backup\/archive: archive \/etc\/kubernetes, \/var\/lib\/kubelet\/pki \(and kubespray's etcd files where there\) into \/var\/backups\/kubemend\/\S+: exit \d+: .*No space left on device/,
      );
      t.notRegex(r.stdout + r.stderr, STACK, 'no stack trace');
      const runs = readdirSync(dir);
      t.is(runs.length, 1);
      const backups = join(dir, runs[0]!, 'backups');
      for (const h of ['m1', 'w1']) t.true(existsSync(join(backups, `${h}.tar.gz`)) && existsSync(join(backups, `${h}.tar.gz.sha256`)), `${h} archive pulled`);
      t.false(existsSync(join(backups, 'w2.tar.gz')), 'no partial w2 archive kept');
    } finally {
      await lab.exec('w2', ['umount', '/var/backups/kubemend']);
    }
  },
);

test.after.always(async () => {
  await releaseLab(import.meta.url);
});
