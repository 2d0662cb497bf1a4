/**
 * Issue 19 end to end in the lab, over real SSH: the master rebuilt first is the one the
 * control-plane endpoint leads to, whatever the inventory's order. One 3 + 1 lab cluster (net 89)
 * made with `controlPlaneEndpoint: api.lab.test:6443` (an /etc/hosts entry on every host, as a DNS
 * record) and the lab's load balancer (spec/lab/sim/lb: a TCP proxy at its own address, 10.ID.0.10,
 * with haproxy's health checks) in front of the three apiservers. The inventory lists the masters
 * m3, m2, m1. In turn:
 * - contradictions are refused before anything changes (exit 2): `first: true` on m3 while the
 *   name leads to m1, and m2 resolving the name to itself while m1 and m3 resolve it to m1;
 * - the name leads to m1 (a DNS name for one master): the plan puts m1 first and says why (the
 *   steps after that choice are those of spec/recover/recover.test.ts's full rebuild, where the
 *   endpoint is m1's address and the masters are listed in reverse too: one full run proves them);
 * - the name leads to the load balancer: full rebuild of that pki-wipe, m3 (listed first) goes first,
 *   the waits go to m3's own apiserver, the endpoint is waited for until the balancer sends to it.
 * The tests run in order on the one lab, all on the one pki-wipe the first test made.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { downSharedLab, type Lab, requireRoot, sharedLab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { ranOn, reversedInventory } from './first-lab.js';
import { LAB_PROOF } from './recover-lab.js';

const LAB = { masters: 3, workers: 1, net: 89, endpoint: 'name', lb: true } as const;
const HOSTS = ['m1', 'm2', 'm3', 'w1'];

interface Status {
  healthy: boolean;
  problems: string[];
  marker?: string;
}

/** The lab's own view (kubectl, etcdctl, openssl). */
async function status(lab: Lab): Promise<Status> {
  const r = await lab.lab(['status', '--json']);
  return JSON.parse(r.stdout) as Status;
}

/** The balancer's view of its backends (DIR/lb/state.json). */
function lbState(lab: Lab): { backends: Array<{ name: string; up: boolean; sent: number }>; refused: number } {
  return JSON.parse(readFileSync(join(lab.dir, 'lb', 'state.json'), 'utf8'));
}

/** sha256 of every file of each host's PKI and kubeconfigs, its /etc/hosts, and its running containers. */
async function fingerprint(lab: Lab): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const h of HOSTS) {
    out[h] = (
      await lab.exec(h, ['sh', '-c', 'find /etc/kubernetes /var/lib/kubelet/pki -type f -exec sha256sum {} + 2>/dev/null | sort; crictl ps -q | sort'])
    ).stdout;
  }
  return out;
}

/** `kubemend run recover --yes` with `inventory`; its state folder and all its output. */
async function recover(inventory: string) {
  const state = tempDir('/tmp/kubemend-endpoint-state-');
  const r = await cli(MAIN, ['run', 'recover', '-i', inventory, '--yes', '--state-dir', state, ...LAB_PROOF]);
  return { ...r, state, out: r.stdout + r.stderr };
}

/** Every row of the proof PASS, none FAIL, cluster-info's server the endpoint. */
function assertProof(t: any, out: string): void {
  t.regex(out, /proof of health:/);
  t.notRegex(out, /^FAIL /m, out.slice(-3000));
  for (const row of ['nodes Ready', 'etcd members healthy', "cluster's objects present", 'cluster-info carries the CA'])
    t.regex(out, new RegExp(`^PASS  ${row}`, 'm'), `proof row: ${row}`);
  t.regex(out, /^PASS  cluster-info server is the endpoint\s+https:\/\/api\.lab\.test:6443$/m);
}

/** The lab's name for the API leads to `target` (a host, `lb`) on `on` (default every host). */
async function pointName(t: any, lab: Lab, target: string, on?: string): Promise<void> {
  const r = await lab.lab(['dns', target, ...(on ? ['--on', on] : [])]);
  t.is(r.code, 0, r.stderr);
}

let marker: string | undefined;

test.serial(
  'contradictions refused before anything changes (exit 2): `first: true` on m3 while the name leads to m1; m2 resolving the name to itself',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    const s = await status(lab);
    t.true(s.healthy, s.problems.join('; '));
    marker = s.marker;
    t.is(
      (await lab.exec('m2', ['getent', 'hosts', 'api.lab.test'])).stdout.split(/\s+/)[0],
      lab.hosts.find((h) => h.name === 'm1')!.address,
      'the name leads to m1',
    );
    t.is((await lab.lab(['break', 'pki-wipe'])).code, 0);
    const before = await fingerprint(lab);

    const first = await recover(reversedInventory(lab, 'first-m3', 'm3'));
    t.is(first.code, 2, first.out.slice(-3000));
    t.regex(
      first.out,
      /refused \(stopped at phase facts\/endpoint\), nothing was changed: .*the inventory marks m3 `first: true`, but the control-plane endpoint api\.lab\.test:6443 .*api\.lab\.test resolves to m1's address \S+ on every master.*must be m1/s,
    );
    t.deepEqual(await fingerprint(lab), before, 'no file and no container changed on any host');

    await pointName(t, lab, 'm2', 'm2');
    const split = await recover(reversedInventory(lab, 'reversed'));
    await pointName(t, lab, 'm1', 'm2');
    t.is(split.code, 2, split.out.slice(-3000));
    t.regex(
      split.out,
      /the masters resolve the control-plane endpoint api\.lab\.test:6443 .* to different masters \(on m3: m1's address \S+; on m2: m2's address \S+; on m1: m1's address \S+\)/,
    );
    t.deepEqual(await fingerprint(lab), before, 'no file and no container changed on any host');
  },
);

test.serial('the name leads to m1, masters listed m3, m2, m1: the plan puts m1 first and says why; nothing changed', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  if ((await status(lab)).healthy) t.is((await lab.lab(['break', 'pki-wipe'])).code, 0); // run alone (--match)
  const before = await fingerprint(lab);
  const state = tempDir('/tmp/kubemend-endpoint-state-');
  const r = await cli(MAIN, ['plan', 'recover', '-i', reversedInventory(lab, 'reversed'), '--state-dir', state]);
  t.is(r.code, 0, (r.stdout + r.stderr).slice(-4000));
  t.regex(r.stdout + r.stderr, /full-rebuild/);
  t.regex(
    r.stdout + r.stderr,
    /first master: m1: the control-plane endpoint api\.lab\.test:6443 \(the ClusterConfiguration's and the inventory's\): api\.lab\.test resolves to m1's address \S+ on every master: .*\(the inventory lists m3 first\)/,
  );
  t.deepEqual(await fingerprint(lab), before, 'no file and no container changed on any host');
});

test.serial(
  'the name leads to the load balancer, masters listed m3, m2, m1: m3 goes first, its waits on its own apiserver, the endpoint once the balancer sends to it; the proof passes',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    await pointName(t, lab, 'lb');
    // the cluster is still broken by the first test's pki-wipe (or, run alone with --match, broken here)
    const before = await status(lab);
    marker ??= before.marker;
    if (before.healthy) t.is((await lab.lab(['break', 'pki-wipe'])).code, 0);
    const sentBefore = Object.fromEntries(lbState(lab).backends.map((b) => [b.name, b.sent]));
    const r = await recover(reversedInventory(lab, 'reversed'));
    t.is(r.code, 0, r.out.slice(-4000));
    t.regex(
      r.out,
      /first master: m3: the control-plane endpoint api\.lab\.test:6443 .*api\.lab\.test resolves to 10\.\d+\.0\.10 on every master, no master's address: a load balancer or a VIP, any master behind it can go first; m3 is the inventory's first master/,
    );
    for (const phase of ['etcd/ca', 'first/control-plane', 'first/bootstrap-token']) t.deepEqual(ranOn(r.state, phase), ['m3'], phase);
    t.deepEqual(ranOn(r.state, 'others/join').sort(), ['m1', 'm2']);
    const journal = readFileSync(join(r.state, readdirSync(r.state)[0]!, 'journal.jsonl'), 'utf8');
    t.regex(journal, /wait: m3's apiserver \(https:\/\/10\.\d+\.1\.12:6443\) answers \/readyz/, "step 5 waits for m3's own apiserver");
    t.regex(
      journal,
      /wait: the control-plane endpoint api\.lab\.test:6443 answers \/readyz with the new CA from m3 3 times in a row/,
      'step 6 waits for the balancer to send to m3',
    );
    const lb = lbState(lab);
    t.true(
      lb.backends.every((b) => b.up),
      JSON.stringify(lb),
    );
    t.true(lb.backends.find((b) => b.name === 'm3')!.sent > sentBefore.m3!, 'the balancer sent connections to m3');
    assertProof(t, r.out);
    const s = await status(lab);
    t.true(s.healthy, s.problems.join('; '));
    t.is(s.marker, marker, 'the marker object survived');
  },
);

test.after.always(async () => {
  await downSharedLab(LAB);
});
