/**
 * `/var/lib/etcd` is never deleted, moved or written by any playbook (issue 6, "nothing lost").
 * Every registered playbook (and the restore that `kubemend restore` builds) is planned in dry run
 * against the fake transport, in scenarios that walk recover's paths (full rebuild, replace CA,
 * rebuild one master); no planned command or upload may name `/var/lib/etcd` (only the read-only
 * commands listed in READ_ONLY may), nor remove or move a folder above it. A scan of the sources
 * of lib/ and playbooks/ backs it up for branches no scenario plans.
 */
import test from 'ava';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlan } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import type { AnyPlaybook } from '../../lib/core/types.js';
import { restorePlaybook } from '../../lib/backup/restore.js';
import { MASTER_CA_FILES } from '../../lib/facts/paths.js';
import { listPlaybooks } from '../../playbooks/index.js';
import { quoteArgv } from '../../lib/shell/quote.js';
import { ETCD_DATA, PROBE } from '../../lib/etcd-data/remote.js';
import { KUBEADM_CONFIG_KEY, KUBELET_CONFIG_KEY } from '../../lib/etcd-data/configmaps.js';
import { dbFileWith } from '../etcd-data/real-etcd.js';
import { KUBELET_CONFIGURATION, clusterConfigurationText, jsonConfigMap } from '../etcd-data/proto-fixture.js';
import { FakeTransport, type FakeRule, fakeInventory } from '../helpers/fake-transport.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ETCD = '/var/lib/etcd';

/**
 * Planned commands that may name /var/lib/etcd because they only read it (add with care): plain
 * reads, and recover step 0's reads of etcd's data (issue 20): the probe (stat, du, df, pgrep, ctr
 * images ls), a range of member/snap/db through dd | base64, the pull of member/snap/db.
 */
const READ_ONLY: readonly RegExp[] = [
  /^(du|ls|stat|test|df)\s[^;|&><]*\/var\/lib\/etcd/,
  new RegExp(`^${escapeRegExp(quoteArgv(['sh', '-c', PROBE, 'sh', ETCD_DATA]).display)}$`),
  /^sh -c 'dd if="\$1" iflag=skip_bytes,count_bytes skip="\$2" count="\$3" bs=64K status=none \| base64 -w 0' sh \/var\/lib\/etcd\/member\/snap\/db \d+ \d+$/,
  /^(download )?\/var\/lib\/etcd\/member\/snap\/db$/,
];

/** A string as a literal inside a RegExp. */
function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A command (or script text) that removes, moves or truncates `/`, `/var` or `/var/lib` themselves (and with them /var/lib/etcd). */
const ANCESTOR_WIPE = /\b(rm|mv|rmdir|shred)\b[^;|&\n]*\s['"]?(\/|\/var|\/var\/lib)\/?(\*)?['"]?(\s|$|;)/;

/** Why `command` endangers /var/lib/etcd, or undefined. */
function etcdDanger(command: string): string | undefined {
  if (ANCESTOR_WIPE.test(command)) return 'removes or moves a folder that holds /var/lib/etcd';
  if (command.includes(ETCD) && !READ_ONLY.some((r) => r.test(command))) return `names ${ETCD} (not a listed read-only command)`;
  return undefined;
}

const healthy: FakeRule[] = [
  { command: /^hostname$/, answer: (h) => ({ stdout: `${h.name}\n` }) },
  { command: /^systemctl is-active/, answer: { stdout: 'active\n' } },
];

/** m1 keeps its whole PKI, the other masters lost theirs: recover plans rebuild-one. */
const m1Whole: FakeRule[] = [
  {
    host: 'm1',
    command: /openssl x509 -noout -fingerprint/,
    answer: {
      stdout: [...MASTER_CA_FILES.map((f) => `file ${f}`), 'fp ca.crt sha256 Fingerprint=AA:BB', 'fp etcd/ca.crt sha256 Fingerprint=CC:DD'].join('\n') + '\n',
    },
  },
  ...healthy,
];

interface Scenario {
  name: string;
  rules: FakeRule[];
  options?: Record<string, unknown>;
  /** No kubeadmConfig in the inventory: step 0 reads etcd's data. */
  noConfig?: boolean;
  masters?: number;
}

const scenarios: Scenario[] = [
  // issue 20: no kubeadmConfig, the API down, only m1's etcd data holds the config (a db made by the real etcd)
  { name: 'config only in etcd data', rules: healthy, noConfig: true, masters: 1 },
  { name: 'no PKI anywhere', rules: healthy },
  { name: 'replace CA', rules: m1Whole, options: { replaceCa: true } },
  { name: 'm1 whole, others lost', rules: m1Whole },
];

/** Every planned command and upload path of `pb` in one scenario. */
async function plannedSteps(pb: AnyPlaybook, s: Scenario): Promise<{ steps: string[]; phases: string[] }> {
  const fake = new FakeTransport([...s.rules]);
  fake.files.set('m1:/etc/kubernetes/pki/ca.crt', Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'));
  if (s.noConfig) serveEtcdData(fake, await etcdDb());
  const inv = { ...fakeInventory(s.masters ?? 3, 3), ...(s.noConfig ? {} : { kubeadmConfig: join(ROOT, 'inventory/kubeadm-config.yaml') }) };
  const raw = Object.fromEntries(Object.entries({ ...s.options, fromRun: RESTORED_FROM, keep: 0 }).filter(([k]) => pb.options?.shape[k] !== undefined)); // keep: prune must be told what to remove
  const steps: string[] = [];
  const { plan, result } = await buildPlan({
    playbook: pb,
    inventory: inv,
    transport: fake,
    options: parseOptions(pb.options, raw, pb.name),
    sinks: [
      (e) => {
        if (e.kind === 'command') steps.push(e.command);
      },
    ],
  });
  if (result.exitCode !== 0) throw new Error(`dry run of ${pb.name} (${s.name}) failed: ${JSON.stringify(result.failures)}`);
  for (const c of fake.calls) steps.push(c.command); // what reached the fake host too (reads, downloads)
  return { steps, phases: plan.phases.filter((p) => !p.skipped).map((p) => p.id) };
}

/** m1's etcd data: a db written by the real etcd, member m1 at 10.0.1.1, the two ConfigMaps in it (made once). */
let db: Promise<Buffer> | undefined;
function etcdDb(): Promise<Buffer> {
  db ??= dbFileWith('m1', 'https://10.0.1.1:2380', [
    [KUBEADM_CONFIG_KEY, jsonConfigMap('kube-system', 'kubeadm-config', { ClusterConfiguration: clusterConfigurationText('v1beta4', '10.0.1.1:6443') })],
    [KUBELET_CONFIG_KEY, jsonConfigMap('kube-system', 'kubelet-config', { kubelet: KUBELET_CONFIGURATION })],
  ]);
  return db;
}

/** The fake m1 answers step 0's reads of its etcd data: the probe, dd ranges, the pull; the API is down. */
function serveEtcdData(fake: FakeTransport, b: Buffer): void {
  fake.on(/get configmap kubeadm-config/, { exitCode: 1, stderr: 'The connection to the server 10.0.1.1:6443 was refused' });
  fake.on(/pgrep -x etcd/, { stdout: `db ${b.length}\nneed 100\nfree 9000000\netcd \nctr yes\nimage registry.k8s.io/etcd:3.5.16-0\n` }, 'm1');
  fake.on(
    /^sh -c 'dd if=/,
    (_h, cmd) => {
      const [off, len] = cmd.trim().split(/\s+/).slice(-2).map(Number);
      return { stdout: b.subarray(off, off + len).toString('base64') };
    },
    'm1',
  );
  fake.files.set('m1:/var/lib/etcd/member/snap/db', b);
}

const RESTORED_FROM = '20261129-000000-abcd';
const restore = restorePlaybook(
  RESTORED_FROM,
  new Map(['m1', 'm2', 'm3', 'w1', 'w2', 'w3'].map((h) => [h, { host: h, file: `/x/${h}.tar.gz`, sha256: 'a'.repeat(64), data: Buffer.from('x') }])),
);
const playbooks: AnyPlaybook[] = [...listPlaybooks(), restore];

test('the check itself: rm -rf /var/lib/etcd, a move of it, a write into it and rm -rf /var/lib are caught; reads listed are not', (t) => {
  t.truthy(etcdDanger(`sh -c 'rm -rf /var/lib/etcd'`));
  t.truthy(etcdDanger(`mv /var/lib/etcd /var/lib/etcd.old`));
  t.truthy(etcdDanger(`sh -c 'tar -xzf x.tgz -C /var/lib/etcd'`));
  t.truthy(etcdDanger(`sh -c 'echo > /var/lib/etcd/member/snap/db'`));
  t.truthy(etcdDanger(`rm -rf /var/lib`));
  t.truthy(etcdDanger(`sh -c 'rm -rf /var/lib/*'`));
  t.falsy(etcdDanger(`rm -rf /var/lib/kubelet/pki`));
  t.falsy(etcdDanger(`mv /etc/kubernetes /var/backups/kubemend/x/etc/kubernetes`));
  t.falsy(etcdDanger(`du -sh /var/lib/etcd`));
  t.truthy(etcdDanger(`sh -c 'dd if="$1" of=/dev/null' sh /var/lib/etcd/member/snap/db 0 4096`), 'only the exact range read is listed');
});

for (const pb of playbooks) {
  test(`${pb.name}: no planned command or upload touches /var/lib/etcd, in every scenario`, async (t) => {
    const seen = new Set<string>();
    let etcdReads = 0;
    for (const s of scenarios) {
      const { steps, phases } = await plannedSteps(pb, s);
      for (const p of phases) seen.add(p);
      for (const c of steps) {
        if (pb.name === 'recover' && s.noConfig && /snap\/db/.test(c)) etcdReads++;
        const why = etcdDanger(c);
        t.is(why, undefined, `${pb.name} (${s.name}) plans: ${c.slice(0, 400)}: ${why}`);
      }
    }
    t.true(seen.size > 0, `${pb.name} planned no phase at all`);
    if (pb.name === 'recover')
      for (const p of ['masters/clean', 'etcd/start', 'rebuild-one/master', 'workers/rejoin'])
        t.true(seen.has(p), `recover's ${p} was planned in some scenario`);
    if (pb.name === 'recover') t.true(etcdReads > 0, "the etcd-data scenario read m1's data");
  });
}

/** Every .ts file under dir. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no source line of lib/ or playbooks/ pairs /var/lib/etcd with a mutating verb (branches no scenario plans)', (t) => {
  const verbs = /\b(rm|mv|rmdir|truncate|shred|unlink|rename|rmSync|renameSync|writeFileSync|tar\b[^\n]*-C)\b|>\s*\S*\/var\/lib\/etcd/;
  const files = [...sources(join(ROOT, 'lib')), ...sources(join(ROOT, 'playbooks'))];
  t.true(files.length > 20);
  for (const f of files) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (!line.includes('var/lib/etcd')) return;
        if (/^\s*(\*|\/\/|\/\*\*)/.test(line)) return; // a comment that says it is never touched
        t.false(verbs.test(line), `${f.slice(ROOT.length)}:${i + 1} pairs /var/lib/etcd with a mutating verb: ${line.trim()}`);
      });
  }
});
