/**
 * The plan check (issue 12): every registered playbook (and the restore `kubemend restore`
 * builds) is planned in dry run against the fake transport on every path (recover: full-rebuild,
 * rebuild-one, replace-ca, nothing-to-do), and every kubeadm and crictl invocation in the plan,
 * inside `sh -c` scripts too (spec/helpers/shell-commands.ts says which script forms are read and
 * which are reported as unreadable), is checked against the real v1.32 command lines
 * (spec/lab/sim/{kubeadm,crictl}/reference). A command the real tool would refuse fails the test,
 * naming the phase, the host, the command and the real tool's answer. A kubeadm host has no
 * etcdctl either: a command that runs it on a host fails too.
 */
import test from 'ava';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { buildPlan } from '../../lib/core/plan.js';
import { parseOptions } from '../../lib/core/options.js';
import type { AnyPlaybook } from '../../lib/core/types.js';
import { restorePlaybook } from '../../lib/backup/restore.js';
import { MASTER_CA_FILES } from '../../lib/facts/paths.js';
import { listPlaybooks } from '../../playbooks/index.js';
import { FakeTransport, type FakeRule, fakeInventory } from '../helpers/fake-transport.js';
import { scanCommandLine, scanScriptText, type ShellCall } from '../helpers/shell-commands.js';
import { parseKubeadm } from '../lab/sim/kubeadm/reference/parse.js';
import { parseCrictl } from '../lab/sim/crictl/reference/parse.js';

const KUBEADM_CONFIG = fileURLToPath(new URL('../../inventory/kubeadm-config.yaml', import.meta.url));
const ID = 'c0ffee'.padEnd(64, '0');
const CA_FP = 'AA:BB:CC';

/** Why real kubeadm v1.32 / crictl v1.32 would not do what `call` asks, or undefined. */
function refusal(call: ShellCall): string | undefined {
  if (call.program === 'etcdctl')
    return 'etcdctl is not installed on a kubeadm host: "etcdctl: not found", exit 127 (the packages are kubeadm, kubelet, kubectl, cri-tools, kubernetes-cni; etcdctl is in the etcd image: crictl exec)';
  if (call.program === 'kubeadm') {
    const r = parseKubeadm(call.args);
    if (!r.ok) return `real kubeadm v1.32 refuses: ${r.message.split('\n')[0]} (exit ${r.exitCode})`;
    if (r.help) return `real kubeadm v1.32 prints the help of "${r.command.path || 'kubeadm'}" and does nothing (exit 0)`;
    return undefined;
  }
  const r = parseCrictl(call.args);
  if (!r.ok) return `real crictl v1.32 refuses: ${r.message} (exit ${r.exitCode})`;
  if (!r.command || r.help || r.version) return 'real crictl v1.32 prints its help or version and does nothing (exit 0)';
  const name = r.command.name;
  if (name === 'ps' && r.args.length)
    return `crictl ps takes no argument: with ${JSON.stringify(r.args[0])} it prints its help and exits 0 (urfave/cli stops reading flags at the first argument)`;
  if (['stop', 'rm', 'stopp', 'rmp', 'inspect', 'inspectp', 'logs'].includes(name)) {
    const flagLike = r.args.find((a) => a.startsWith('-'));
    if (flagLike)
      return `crictl ${name} reads ${JSON.stringify(flagLike)} as a container or pod id: flags after the first argument are arguments (Go's flag package)`;
  }
  if (name === 'exec') {
    const filters = ['name', 'pod', 'image', 'state', 'label', 'latest', 'last'].some((f) => r.flags.has(f));
    if (!filters && r.args.length < 2) return 'crictl exec needs CONTAINER-ID COMMAND: it prints its help and exits 0';
    if (!filters && r.args[0].startsWith('-')) return `crictl exec reads ${JSON.stringify(r.args[0])} as the container id`;
  }
  return undefined;
}

/** One planned command, where it runs. */
interface Planned {
  phase: string;
  host: string;
  command: string;
}

const watched = ['kubeadm', 'crictl', 'etcdctl'] as const;

/** Every refusal (and unreadable script) in a list of planned commands. */
function check(planned: Planned[]): { problems: string[]; calls: (ShellCall & Planned)[] } {
  const problems: string[] = [];
  const calls: (ShellCall & Planned)[] = [];
  const seen = new Set<string>();
  for (const p of planned) {
    const key = `${p.phase}\0${p.host}\0${p.command}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const scan = scanCommandLine(p.command, watched);
    for (const pr of scan.problems) problems.push(`phase ${p.phase}, host ${p.host}: cannot check ${p.command.slice(0, 300)}: ${pr}`);
    for (const c of scan.calls) {
      calls.push({ ...c, ...p });
      const why = refusal(c);
      if (why) problems.push(`phase ${p.phase}, host ${p.host}: ${c.program} ${c.args.join(' ')}${c.script ? ' (inside sh -c)' : ''}: ${why}`);
    }
  }
  return { problems, calls };
}

// ---- facts the fake hosts answer, so that every path plans all its steps

const healthy: FakeRule[] = [
  { command: /^hostname$/, answer: (h) => ({ stdout: `${h.name}\n` }) },
  { command: /^systemctl is-active/, answer: { stdout: 'active\n' } },
  // a control-plane container on every host, so that stop/rm/exec commands are planned
  {
    command: /crictl ps .*-o json/,
    answer: {
      stdout: JSON.stringify({
        containers: ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((n, i) => ({
          id: `${i}${ID.slice(1)}`,
          metadata: { name: n },
          state: 'CONTAINER_RUNNING',
          labels: { 'io.kubernetes.container.name': n, 'io.kubernetes.pod.namespace': 'kube-system' },
        })),
      }),
    },
  },
  { command: /crictl ps/, answer: { stdout: `${ID}\n` } },
  {
    command: /etcdctl.* endpoint health/,
    answer: () => ({
      stdout: ['10.0.1.1', '10.0.1.2', '10.0.1.3'].map((a) => `https://${a}:2379 is healthy: successfully committed proposal: took = 2ms`).join('\n') + '\n',
    }),
  },
];

const wholeMaster = (host: string | RegExp): FakeRule => ({
  host,
  command: /openssl x509 -noout -fingerprint/,
  answer: {
    stdout: [...MASTER_CA_FILES.map((f) => `file ${f}`), `fp ca.crt sha256 Fingerprint=${CA_FP}`, 'fp etcd/ca.crt sha256 Fingerprint=CC:DD'].join('\n') + '\n',
  },
});
const trustingWorker: FakeRule = {
  host: /^w/,
  command: /openssl x509 -noout -fingerprint/,
  answer: { stdout: `file ca.crt\nfp ca.crt sha256 Fingerprint=${CA_FP}\n` },
};

interface Scenario {
  name: string;
  rules: FakeRule[];
  options?: Record<string, unknown>;
  /** recover: the path the facts must lead to. */
  path?: string;
}

const RECOVER: Scenario[] = [
  { name: 'full-rebuild', rules: healthy, path: 'full-rebuild' },
  { name: 'rebuild-one', rules: [wholeMaster('m1'), ...healthy], path: 'rebuild-one' },
  { name: 'replace-ca', rules: [wholeMaster('m1'), ...healthy], options: { replaceCa: true }, path: 'replace-ca' },
  { name: 'nothing-to-do', rules: [wholeMaster(/^m/), trustingWorker, ...healthy], path: 'nothing-to-do' },
];
const OTHERS: Scenario[] = [{ name: 'healthy cluster', rules: [wholeMaster(/^m/), trustingWorker, ...healthy] }];

/** Options a playbook cannot be planned without (prune must be told what to remove). */
const REQUIRED: Record<string, Record<string, unknown>> = { prune: { keep: 1 } };

const RESTORED_FROM = '20261129-000000-abcd';
const restore = restorePlaybook(
  RESTORED_FROM,
  new Map(['m1', 'm2', 'm3', 'w1', 'w2', 'w3'].map((h) => [h, { host: h, file: `/x/${h}.tar.gz`, sha256: 'a'.repeat(64), data: Buffer.from('x') }])),
);

/** Plan `pb` in `s` and return every command it plans or reads, and the path recover announced. */
async function plan(pb: AnyPlaybook, s: Scenario): Promise<{ planned: Planned[]; path?: string; exitCode: number; failures: unknown }> {
  const fake = new FakeTransport([...s.rules]);
  fake.files.set('m1:/etc/kubernetes/pki/ca.crt', Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'));
  const inv = { ...fakeInventory(3, 3), kubeadmConfig: KUBEADM_CONFIG };
  const raw = Object.fromEntries(
    Object.entries({ ...REQUIRED[pb.name], ...s.options, fromRun: RESTORED_FROM }).filter(([k]) => pb.options?.shape[k] !== undefined),
  );
  const planned: Planned[] = [];
  let path: string | undefined;
  const { result } = await buildPlan({
    playbook: pb,
    inventory: inv,
    transport: fake,
    options: parseOptions(pb.options, raw, pb.name),
    sinks: [
      (e) => {
        if (e.kind === 'command' && (e.step === 'run' || e.step === 'read' || e.step === 'fact'))
          planned.push({ phase: e.phase, host: e.host, command: e.command });
        if (e.kind === 'log' && e.phase === 'facts/path' && /^path: /.test(e.message)) path = e.message.split(' ')[1];
      },
    ],
  });
  return { planned, path, exitCode: result.exitCode, failures: result.failures };
}

const playbooks: AnyPlaybook[] = [...listPlaybooks(), restore];

for (const pb of playbooks) {
  for (const s of pb.name === 'recover' ? RECOVER : OTHERS) {
    test(`plan check: ${pb.name} (${s.name}): every kubeadm and crictl command is one the real v1.32 tool accepts, and none runs etcdctl on a host`, async (t) => {
      const { planned, path, exitCode, failures } = await plan(pb, s);
      t.is(exitCode, 0, `the dry run failed: ${JSON.stringify(failures)}`);
      if (s.path) t.is(path, s.path, 'the faked facts lead to this path');
      const { problems, calls } = check(planned);
      t.log(
        `${planned.length} planned commands, ${calls.filter((c) => c.program === 'kubeadm').length} kubeadm, ${calls.filter((c) => c.program === 'crictl').length} crictl, ${calls.filter((c) => c.program === 'etcdctl').length} etcdctl calls`,
      );
      if (problems.length) t.fail(`${pb.name} (${s.name}): ${problems.length} command(s) the real tools refuse:\n${problems.join('\n')}`);
      else t.pass();
    });
  }
}

test('plan check coverage: the destructive recover paths plan kubeadm and crictl calls', async (t) => {
  const recover = playbooks.find((p) => p.name === 'recover')!;
  for (const s of RECOVER.filter((x) => x.name !== 'nothing-to-do')) {
    const { calls } = check((await plan(recover, s)).planned);
    t.true(calls.filter((c) => c.program === 'kubeadm').length >= 5, `${s.name}: kubeadm calls planned`);
    t.true(
      calls.some((c) => c.program === 'crictl'),
      `${s.name}: crictl calls planned`,
    );
  }
  const { calls } = check((await plan(playbooks.find((p) => p.name === 'renew-certs')!, OTHERS[0])).planned);
  t.true(
    calls.some((c) => c.program === 'kubeadm' && c.args.join(' ') === 'certs renew all'),
    'renew-certs plans kubeadm certs renew all',
  );
});

test('the checker itself: refusals inside sh -c scripts are found, with the real message; unreadable scripts are problems, not passes', (t) => {
  const one = (command: string) => check([{ phase: 'p', host: 'h', command }]).problems;
  t.deepEqual(one('sh -c \'kubeadm join phase control-plane-join all "$1" --token "$2"\' sh 10.0.0.1:6443 \'<token>\''), [
    'phase p, host h: kubeadm join phase control-plane-join all 10.0.0.1:6443 --token <token> (inside sh -c): real kubeadm v1.32 refuses: unknown flag: --token (exit 1)',
  ]);
  t.deepEqual(one("kubeadm init phase upload-certs --upload-certs --certificate-key '<certificate-key>' --config /etc/kubemend/kubeadm.yaml"), [
    "phase p, host h: kubeadm init phase upload-certs --upload-certs --certificate-key <certificate-key> --config /etc/kubemend/kubeadm.yaml: real kubeadm v1.32 refuses: can not mix '--config' with arguments [certificate-key] (exit 1)",
  ]);
  t.deepEqual(
    one('sh -c \'ids=$(crictl ps -a -q --name "^etcd$" --label io.kubernetes.pod.namespace=kube-system); [ -n "$ids" ] && sudo crictl rm -f $ids || true\''),
    [],
  );
  t.regex(one("sh -c 'crictl rm $id -f'")[0], /crictl rm <\$id> -f \(inside sh -c\): crictl rm reads "-f" as a container or pod id/);
  t.regex(
    one("sh -c 'cd /etc/kubernetes/pki/etcd; ETCDCTL_API=3 etcdctl endpoint health'")[0],
    /etcdctl endpoint health \(inside sh -c\): etcdctl is not installed on a kubeadm host/,
  );
  t.deepEqual(
    one('sh -c \'crictl exec "$1" etcdctl --cacert=/etc/kubernetes/pki/etcd/ca.crt endpoint health\' sh 0123'),
    [],
    'etcdctl inside the etcd container is fine',
  );
  t.regex(one('sh -c \'eval "kubeadm init --config x"\'')[0], /cannot check .*eval .* names kubeadm where it cannot be read/);
  t.regex(one("sh -c '$KUBEADM init'")[0], /a program whose name is not literal \(\$KUBEADM\)/);
  t.regex(one('sh -c "$script"')[0], /sh -c with a script that is not literal/);
  t.regex(one("sh -c 'kubeadm init phase nope'")[0], /prints the help of "init phase" and does nothing/);
  t.regex(one('timeout 30 kubeadm init --nope')[0], /kubeadm init --nope: real kubeadm v1.32 refuses: unknown flag: --nope/, 'wrappers are skipped');
});

// ---- the source check: argv arrays and sh -c scripts written in lib/ and playbooks/, for the
// commands a dry run cannot plan (inside waits, which a dry run records without polling, and
// branches the faked facts do not take)

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every .ts file under dir. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** An argv or script found in the sources: its elements' texts (undefined when not literal). */
interface SourceArgv {
  where: string;
  elements: (string | undefined)[];
}

/** Literal argv arrays of lib/ and playbooks/, with string constants (also imported ones) resolved. */
function sourceArgvs(): SourceArgv[] {
  const files = [...sources(join(ROOT, 'lib')), ...sources(join(ROOT, 'playbooks'))];
  const parsed = files.map((f) => ({ f, sf: ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true) }));
  // string constants by name, from every file (names are unique enough across the project: a clash shows as a wrong text)
  const consts = new Map<string, ts.Expression>();
  for (const { sf } of parsed) {
    sf.forEachChild(function visit(n): void {
      if (
        ts.isVariableDeclaration(n) &&
        ts.isIdentifier(n.name) &&
        n.initializer &&
        (ts.isStringLiteralLike(n.initializer) || ts.isTemplateExpression(n.initializer))
      )
        consts.set(n.name.text, n.initializer);
      n.forEachChild(visit);
    });
  }
  const text = (e: ts.Expression, depth = 0): string | undefined => {
    if (ts.isStringLiteralLike(e)) return e.text;
    if (ts.isParenthesizedExpression(e)) return text(e.expression, depth);
    if (ts.isIdentifier(e) && depth < 5) {
      const c = consts.get(e.text);
      return c ? text(c, depth + 1) : undefined;
    }
    if (ts.isTemplateExpression(e)) {
      let s = e.head.text;
      for (const span of e.templateSpans) s += (text(span.expression, depth + 1) ?? `<${span.expression.getText()}>`) + span.literal.text;
      return s;
    }
    if (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && e.expression.name.text === 'replace')
      return text(e.expression.expression, depth);
    return undefined;
  };
  const out: SourceArgv[] = [];
  for (const { f, sf } of parsed) {
    sf.forEachChild(function visit(n): void {
      if (ts.isArrayLiteralExpression(n) && n.elements.length > 0) {
        const elements = n.elements.map((e) => (ts.isSpreadElement(e) ? undefined : text(e)));
        const { line } = sf.getLineAndCharacterOfPosition(n.getStart());
        out.push({ where: `${relative(ROOT, f)}:${line + 1}`, elements });
      }
      n.forEachChild(visit);
    });
  }
  return out;
}

/**
 * Files whose commands run only on the etcd hosts of kubespray's layout (`etcd_deployment_type:
 * host`, found by step 0's shape check and doctor's layout), where kubespray's etcdctl_etcdutl role
 * installs etcdctl into /usr/local/bin: etcdctl is allowed there, kubeadm/crictl are checked as anywhere.
 */
const KUBESPRAY_ETCD_HOST_FILES = ['lib/etcd-data/kubespray.ts'];

/** Problems of the argv arrays in the sources: etcdctl run on a host; literal kubeadm/crictl argvs the real tools refuse. */
function sourceProblems(list: SourceArgv[]): string[] {
  const problems: string[] = [];
  for (const a of list) {
    const kubesprayEtcdHost = KUBESPRAY_ETCD_HOST_FILES.some((f) => a.where.startsWith(`${f}:`));
    const [p0, p1, p2] = a.elements;
    if ((p0 === 'sh' || p0 === 'bash') && p1 === '-c' && p2 !== undefined) {
      for (const c of scanScriptText(p2, watched, a.where).calls) {
        const why = refusal(c);
        // inside a script only the program name is sure for etcdctl; kubeadm/crictl words may come from variables
        if (c.program === 'etcdctl' && kubesprayEtcdHost) continue;
        if (why && (c.program === 'etcdctl' || !c.args.some((x) => x.startsWith('<'))))
          problems.push(`${a.where}: ${c.program} ${c.args.join(' ')} (sh -c): ${why}`);
      }
    } else if (p0 !== undefined && (watched as readonly string[]).includes(p0)) {
      if (p0 === 'etcdctl' && kubesprayEtcdHost) continue;
      if (p0 === 'etcdctl') problems.push(`${a.where}: etcdctl ...: ${refusal({ program: 'etcdctl', args: [] })}`);
      else if (a.elements.every((e) => e !== undefined)) {
        const why = refusal({ program: p0, args: a.elements.slice(1) as string[] });
        if (why) problems.push(`${a.where}: ${a.elements.join(' ')}: ${why}`);
      }
    }
  }
  return problems;
}

test('source check: no argv or sh -c script in lib/ or playbooks/ runs etcdctl on a host, and no literal kubeadm/crictl argv is one the real tool refuses (what a dry run does not plan: waits, untaken branches)', (t) => {
  const list = sourceArgvs();
  t.true(list.filter((a) => a.elements[0] === 'kubeadm' || a.elements[0] === 'crictl').length >= 5, 'kubeadm/crictl argvs found in the sources');
  const problems = sourceProblems(list);
  if (problems.length) t.fail(`${problems.length} command(s) in the sources the real tools (or a kubeadm host) refuse:\n${problems.join('\n')}`);
  else t.pass();
});

test('source check, the checker itself: an etcdctl constant used in a wait, and a literal crictl argv with a flag after the id, are found', (t) => {
  const problems = sourceProblems([
    {
      where: 'a.ts:1',
      elements: [
        'sh',
        '-c',
        'cd /etc/kubernetes/pki/etcd || exit 0; ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 endpoint health --cluster 2>&1; exit 0',
      ],
    },
    { where: 'b.ts:2', elements: ['crictl', 'rm', 'abc', '-f'] },
    { where: 'c.ts:3', elements: ['crictl', 'ps', '-q', '--name', '^etcd$'] },
    { where: 'd.ts:4', elements: ['kubeadm', undefined, '--config', 'x'] },
  ]);
  t.is(problems.length, 2, problems.join('\n'));
  t.regex(
    problems[0],
    /^a\.ts:1: etcdctl --endpoints=https:\/\/127\.0\.0\.1:2379 endpoint health --cluster \(sh -c\): etcdctl is not installed on a kubeadm host/,
  );
  t.regex(problems[1], /^b\.ts:2: crictl rm abc -f: crictl rm reads "-f" as a container or pod id/);
});
