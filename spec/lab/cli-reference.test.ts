/**
 * The real command lines as data (spec/lab/sim/kubeadm/reference, spec/lab/sim/crictl/reference):
 * the tables are consistent, and their parsers refuse what kubeadm v1.32 (cobra v1.8.1, pflag
 * v1.0.5) and crictl v1.32 (urfave/cli v2.27.5, Go's flag package) refuse, with their messages.
 * No lab, no root (the binary tests need the compiled tree: npm run build).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './kubeadm-rig.js';
import { COMMANDS, ROOT, childrenOf } from './sim/kubeadm/reference/commands.js';
import { FLAGS } from './sim/kubeadm/reference/flags.js';
import { parseKubeadm } from './sim/kubeadm/reference/parse.js';
import { SOURCES } from './sim/kubeadm/reference/sources.js';
import { CRICTL_COMMANDS, GLOBAL_FLAGS } from './sim/crictl/reference/commands.js';
import { parseCrictl } from './sim/crictl/reference/parse.js';
import { parseDuration } from './sim/goparse.js';

const k = (line: string) => parseKubeadm(line.split(' ').filter(Boolean));
const refusal = (line: string) => {
  const r = k(line);
  return r.ok ? `accepted: ${r.command.path}` : r.message;
};

test('kubeadm table: unique paths, every parent present, every flag and source defined', (t) => {
  const paths = COMMANDS.map((c) => c.path);
  t.is(new Set(paths).size, paths.length);
  for (const c of COMMANDS) {
    if (c !== ROOT) t.true(paths.includes(c.path.split(' ').slice(0, -1).join(' ')), `parent of ${c.path}`);
    for (const f of [...c.flags, ...(c.persistent ?? [])]) t.truthy(FLAGS[f], `${c.path}: flag ${f}`);
    t.truthy(SOURCES[c.source], `${c.path}: source ${c.source}`);
  }
  t.deepEqual(
    childrenOf(ROOT)
      .map((c) => c.path)
      .sort(),
    ['certs', 'completion', 'config', 'init', 'join', 'kubeconfig', 'reset', 'token', 'upgrade', 'version'],
  );
  t.true(COMMANDS.length > 60);
});

test('kubeadm: the commands issue 12 names are refused with the real messages', (t) => {
  t.is(
    refusal('init phase upload-certs --upload-certs --certificate-key abc --config /etc/kubemend/kubeadm.yaml'),
    "can not mix '--config' with arguments [certificate-key]",
  );
  t.is(refusal('join phase control-plane-join all 10.0.0.1:6443 --control-plane --token a.b --discovery-token-ca-cert-hash sha256:x'), 'unknown flag: --token');
  t.is(
    refusal('join phase control-plane-join all 10.0.0.1:6443 --control-plane --node-name m2'),
    'unknown command "10.0.0.1:6443" for "kubeadm join phase control-plane-join all"',
  );
  t.is(refusal('init phase certs all --log-file /tmp/x'), 'unknown flag: --log-file');
});

test('kubeadm: what the real one accepts is accepted', (t) => {
  for (const ok of [
    'init --config /root/init.yaml --upload-certs',
    'init phase upload-certs --upload-certs --config /etc/kubemend/kubeadm.yaml',
    'init phase upload-certs --upload-certs --certificate-key abc',
    'join 10.0.0.1:6443 --token a.b --discovery-token-ca-cert-hash sha256:x --control-plane --certificate-key k',
    'join phase control-plane-prepare all 10.0.0.1:6443 --control-plane --token a.b --discovery-token-ca-cert-hash sha256:x --certificate-key k --node-name m2 --apiserver-advertise-address 10.0.0.2',
    'join phase control-plane-join all --control-plane --node-name m2 --apiserver-advertise-address 10.0.0.2',
    'join phase control-plane-join etcd --config /x.yaml',
    'join phase kubelet-start 10.0.0.1:6443 --token a.b --discovery-token-ca-cert-hash sha256:x --node-name w1',
    'init phase kubelet-finalize enable-client-cert-rotation --config /x.yaml',
    'init phase upload-config kubelet --config /x.yaml',
    'init phase uploadconfig kubeadm --config /x.yaml',
    'init phase certs etcd-ca --config /x.yaml --v=5 --rootfs /',
    'token create --ttl 1h',
    'token create --print-join-command --kubeconfig /etc/kubernetes/admin.conf',
    'token delete abcdef',
    'certs renew all',
    'certs check-expiration -o yaml',
    'certs certificate-key',
    'kubeconfig user --client-name system:node:w3 --org system:nodes --validity-period 24h',
    'reset -f --cleanup-tmp-dir',
    'version -o short',
    '-v 5 init phase certs all --config /x.yaml',
  ]) {
    const r = k(ok);
    t.true(r.ok, `${ok}: ${r.ok ? '' : r.message}`);
  }
  const endpoint = k('join phase kubelet-start 10.0.0.1:6443 --token=a.b');
  t.true(endpoint.ok && endpoint.command.path === 'join phase kubelet-start' && endpoint.args[0] === '10.0.0.1:6443');
  const alias = k('init phase uploadconfig kubelet --config /x.yaml');
  t.true(alias.ok && alias.command.path === 'init phase upload-config kubelet', 'an alias finds the canonical command');
  const global = k('-v 5 init phase certs all --config /x.yaml');
  t.true(
    global.ok && global.command.path === 'init phase certs all' && global.flags.get('v')?.[0] === '5',
    'flags before the sub-command are skipped by cobra Find',
  );
});

test('kubeadm: pflag refusals, word for word', (t) => {
  t.is(refusal('init phase certs all --nope'), 'unknown flag: --nope');
  t.is(refusal('init phase certs all --nope=1'), 'unknown flag: --nope');
  t.is(refusal('reset -x'), "unknown shorthand flag: 'x' in -x");
  t.is(refusal('reset -fx'), "unknown shorthand flag: 'x' in -x");
  t.is(refusal('init phase certs all --config'), 'flag needs an argument: --config');
  t.is(refusal('init phase certs all -v'), "flag needs an argument: 'v' in -v");
  t.is(refusal('init phase certs all ---config x'), 'bad flag syntax: ---config');
  t.is(refusal('init phase certs all --dry-run=maybe'), 'invalid argument "maybe" for "--dry-run" flag: strconv.ParseBool: parsing "maybe": invalid syntax');
  t.is(refusal('token create --ttl 1x'), 'invalid argument "1x" for "--ttl" flag: time: unknown unit "x" in duration "1x"');
  t.is(refusal('token create --ttl 12'), 'invalid argument "12" for "--ttl" flag: time: missing unit in duration "12"');
  t.is(
    refusal('init --apiserver-bind-port http'),
    'invalid argument "http" for "--apiserver-bind-port" flag: strconv.ParseInt: parsing "http": invalid syntax',
  );
  t.is(refusal('init -v five'), 'invalid argument "five" for "-v, --v" flag: strconv.ParseInt: parsing "five": invalid syntax');
  t.is(
    refusal('init phase control-plane all --apiserver-extra-args novalue'),
    'invalid argument "novalue" for "--apiserver-extra-args" flag: malformed pair, expect string=string',
  );
  // a valued flag takes the next word, even one that looks like a flag
  const eaten = k('init phase certs all --config --dry-run');
  t.true(eaten.ok && eaten.flags.get('config')?.[0] === '--dry-run' && !eaten.flags.has('dry-run'));
  // a bool flag does not take the next word: it is a positional argument
  t.is(refusal('init phase upload-certs --upload-certs true'), 'unknown command "true" for "kubeadm init phase upload-certs"');
});

test('kubeadm: --config mixed with other flags (ValidateMixedArguments), sorted as pflag visits them', (t) => {
  t.is(
    refusal('init --config x --service-cidr a --control-plane-endpoint b --pod-network-cidr c'),
    "can not mix '--config' with arguments [control-plane-endpoint pod-network-cidr service-cidr]",
  );
  t.is(
    refusal('join 1.2.3.4:6443 --config x --token a.b --discovery-token-ca-cert-hash h'),
    "can not mix '--config' with arguments [discovery-token-ca-cert-hash token]",
  );
  t.is(refusal('token create --config x --ttl 1h'), "can not mix '--config' with arguments [ttl]");
  t.is(refusal('init phase certs all --config x --vmodule a=1'), "can not mix '--config' with arguments [vmodule]");
  for (const ok of [
    'init --config x --upload-certs --skip-certificate-key-print --skip-phases addon/kube-proxy --ignore-preflight-errors all --dry-run --node-name m1 --v 3 --rootfs /',
    'token create --config x --print-join-command --kubeconfig /etc/kubernetes/admin.conf',
  ])
    t.true(k(ok).ok, ok);
  // not every command validates it: certs renew reads --config with its other flags
  t.true(k('certs renew all --config x --cert-dir /p').ok);
});

test('kubeadm: positional arguments, sub-commands, required flags', (t) => {
  t.is(refusal('join a:6443 b:6443'), 'accepts at most 1 arg(s), received 2');
  t.is(refusal('join phase kubelet-start a b'), 'accepts at most 1 arg(s), received 2');
  t.is(
    refusal('join phase control-plane-prepare control-plane 10.0.0.1:6443'),
    'unknown command "10.0.0.1:6443" for "kubeadm join phase control-plane-prepare control-plane"',
  );
  t.is(refusal('init 10.0.0.1:6443'), 'unknown command "10.0.0.1:6443" for "kubeadm init"');
  t.is(refusal('init phase certs nope'), 'unknown command "nope" for "kubeadm init phase certs"');
  t.is(refusal('inti --config x'), 'unknown command "inti" for "kubeadm"\n\nDid you mean this?\n\tinit\n');
  t.is(refusal('token'), 'missing subcommand; "token" is not meant to be run on its own');
  t.is(refusal('token nope'), 'invalid subcommand: "nope"');
  t.is(refusal('certs renew'), 'missing subcommand; "renew" is not meant to be run on its own');
  t.is(refusal('certs renew nope'), 'invalid subcommand: "nope"');
  t.is(refusal('kubeconfig user --org system:nodes'), 'required flag(s) "client-name" not set');
  t.is(refusal('init phase certs all 10.0.0.1:6443'), 'unknown command "10.0.0.1:6443" for "kubeadm init phase certs all"');
  // kubeadm init phase NOPE: "phase" has no Run, so cobra prints its help and exits 0
  const phaseHelp = k('init phase nope');
  t.true(phaseHelp.ok && phaseHelp.help);
  const group = k('init phase certs');
  t.true(group.ok && group.help, 'a phase with sub-phases prints its help');
  t.is(refusal('init phase certs --config x'), 'unknown flag: --config', 'a phase group inherits no flag');
  const unmodelled = k('upgrade apply v1.32.5');
  t.true(!unmodelled.ok && unmodelled.stage === 'unmodelled');
  for (const r of [k('init phase certs all --nope'), k('inti')]) t.true(!r.ok && r.exitCode === 1);
});

test('kubeadm: the flags phases inherit, per sub-phase (no --node-name on certs apiserver or kubeconfig admin; --dry-run not on upload-certs)', (t) => {
  t.is(refusal('init phase certs apiserver --node-name m1'), 'unknown flag: --node-name');
  t.is(refusal('init phase kubeconfig admin --node-name m1'), 'unknown flag: --node-name');
  t.true(k('init phase kubeconfig kubelet --node-name m1').ok);
  t.is(refusal('init phase upload-certs --upload-certs --dry-run'), 'unknown flag: --dry-run');
  t.is(refusal('init phase upload-config kubeadm --apiserver-advertise-address 1.2.3.4'), 'unknown flag: --apiserver-advertise-address');
  t.is(refusal('join phase control-plane-prepare download-certs 1.2.3.4:6443 --node-name m2'), 'unknown flag: --node-name');
  t.is(refusal('join phase control-plane-join mark-control-plane --apiserver-advertise-address 1.2.3.4'), 'unknown flag: --apiserver-advertise-address');
  t.is(refusal('join phase control-plane-join update-status --dry-run'), 'unknown flag: --dry-run');
  t.is(refusal('init phase certs sa --config x'), 'unknown flag: --config');
});

/** The compiled lab crictl (build with `npx tsc -p tsconfig.json`). */
const CRICTL_JS = join(process.env.LAB_SIM_DIST || join(REPO, 'dist-lab'), 'spec/lab/sim/crictl/main.js');

const c = (line: string) => parseCrictl(line.split(' ').filter(Boolean));

test('crictl table: every flag has a type, global flags include the runtime endpoint and timeout', (t) => {
  for (const cmd of CRICTL_COMMANDS) for (const f of cmd.flags) t.truthy(f.type, `${cmd.name} ${f.name}`);
  t.truthy(GLOBAL_FLAGS.find((f) => f.name === 'runtime-endpoint' && f.aliases?.includes('r')));
  t.deepEqual(
    CRICTL_COMMANDS.find((x) => x.name === 'exec')!
      .flags.map((f) => f.name)
      .filter((n) => ['interactive', 'tty', 'name', 'label'].includes(n))
      .sort(),
    ['interactive', 'label', 'name', 'tty'],
  );
});

test('crictl: refusals as urfave/cli and Go flag print them', (t) => {
  const bad = c('ps --nope');
  t.true(
    !bad.ok &&
      bad.message === 'flag provided but not defined: -nope' &&
      bad.exitCode === 1 &&
      bad.usage === 'Incorrect Usage: flag provided but not defined: -nope\n\n',
  );
  const short = c('ps -aqz');
  t.true(!short.ok && short.message === 'flag provided but not defined: -aqz', 'a combined short option with an unknown letter is not split');
  const global = c('--nope ps');
  t.true(!global.ok && global.stage === 'global-flags' && global.message === 'flag provided but not defined: -nope');
  const missing = c('ps --name');
  t.true(!missing.ok && missing.message === 'flag needs an argument: -name');
  const badInt = c('ps --last x');
  t.true(!badInt.ok && badInt.message === 'invalid value "x" for flag -last: parse error');
  const badBool = c('ps --quiet=maybe');
  t.true(!badBool.ok && badBool.message === 'invalid boolean value "maybe" for -quiet: parse error');
  const twice = c('ps -q --quiet');
  t.true(!twice.ok && twice.message === 'Cannot use two forms of the same flag: q quiet');
  const unknown = c('nope');
  t.true(!unknown.ok && unknown.exitCode === 3 && unknown.message === "No help topic for 'nope'");
  const noShort = c('inspect -oq x');
  t.true(!noShort.ok && noShort.message === 'flag provided but not defined: -oq', 'inspect has no short-option handling');
});

test('crictl: what it accepts, and how (flags stop at the first argument; -aq; a valued flag eats the next word)', (t) => {
  const ps = c('ps -aq --name ^etcd$ --label io.kubernetes.pod.namespace=kube-system');
  t.true(
    ps.ok &&
      ps.flags.get('all')?.[0] === 'true' &&
      ps.flags.get('quiet')?.[0] === 'true' &&
      ps.flags.get('label')?.[0] === 'io.kubernetes.pod.namespace=kube-system',
  );
  const rm = c('rm abc -f');
  t.true(rm.ok && !rm.flags.has('force') && rm.args.join(' ') === 'abc -f', 'a flag after an id is an argument');
  const exec = c('exec -i abc etcdctl --endpoints=https://127.0.0.1:2379 endpoint health');
  t.true(exec.ok && exec.flags.get('interactive')?.[0] === 'true' && exec.args.join(' ') === 'abc etcdctl --endpoints=https://127.0.0.1:2379 endpoint health');
  const g = c('-r unix:///run/containerd/containerd.sock --timeout 10s ps -q');
  t.true(g.ok && g.global.get('runtime-endpoint')?.[0] === 'unix:///run/containerd/containerd.sock' && g.command?.name === 'ps');
  const eats = c('stop --timeout -5 abc');
  t.true(eats.ok && eats.flags.get('timeout')?.[0] === '-5' && eats.args[0] === 'abc');
  const labels = c('ps --label a=b,c=d');
  t.true(labels.ok && labels.flags.get('label')?.length === 2, 'a string slice splits on commas');
  const single = c('ps -q');
  t.true(single.ok && single.flags.get('quiet')?.[0] === 'true');
});

test('Go time.ParseDuration as the parsers use it', (t) => {
  t.is(parseDuration('1h30m'), 5_400_000);
  t.is(parseDuration('1.5s'), 1500);
  t.is(parseDuration('0'), 0);
  t.throws(() => parseDuration(''), { message: 'time: invalid duration ""' });
  t.throws(() => parseDuration('h'), { message: 'time: invalid duration "h"' });
});

test('the lab crictl binary prints what urfave/cli prints: "Incorrect Usage" and the help on stdout, the fatal line on stderr, exit 1; an unknown command exits 3', async (t) => {
  const root = tempDir(join(tmpdir(), 'crictl-'));
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
      execFile('/usr/bin/node', [CRICTL_JS, ...args], { env: { ...process.env, LAB_ROOT: root } }, (err, stdout, stderr) =>
        res({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const bad = await run(['ps', '--nope']);
  t.is(bad.code, 1);
  t.true(bad.stdout.startsWith('Incorrect Usage: flag provided but not defined: -nope\n\nNAME:\n   crictl ps'), bad.stdout);
  t.regex(bad.stderr, /^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" level=fatal msg="flag provided but not defined: -nope"\n$/);
  const topic = await run(['nope']);
  t.is(topic.code, 3);
  t.is(topic.stderr, "No help topic for 'nope'\n");
  const ok = await run(['ps', '-aq', '--label', 'io.kubernetes.pod.namespace=kube-system']);
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, '');
  const help = await run(['ps', 'etcd']);
  t.is(help.code, 0, 'crictl ps with an argument prints its help, exit 0');
  t.regex(help.stdout, /^NAME:\n {3}crictl ps/);
  const badLabel = await run(['ps', '--label', 'nolabel']);
  t.is(badLabel.code, 1);
  t.regex(badLabel.stderr, /level=fatal msg="incorrectly specified label: nolabel"/);
});
