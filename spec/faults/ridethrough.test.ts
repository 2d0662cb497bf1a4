/**
 * A repair that rides out etcd leader changes and restarting apiservers (issue 21), on one 3 + 2
 * lab cluster with kubelet serving certificates (net 74), over real SSH, the faults injected by
 * the lab's own tools at moments the run's journal shows:
 * - `scripts/lab fault etcd-leader-change` during each master's join: once while its join gate
 *   reads etcd (the gate must see the move and wait for a steady leader), and once as the gate
 *   passes, while control-plane-prepare runs;
 * - `scripts/lab fault apiserver-blip` on the endpoint's master: its apiserver refuses connections
 *   for BLIP_S seconds, as while its container restarts, as the first worker's kubelet-start ends
 *   (the rolling gate then reads its Node through that apiserver; kubeadm's own calls retry by
 *   themselves, as the real kubeadm's do); and it answers 503 for BLIP_S seconds as the
 *   serving-CSR step starts (kubemend held with SIGSTOP until they are on: the step's calls take
 *   tens of ms, less than the lab tool needs to set the fault up).
 * The run ends with exit 0, a proof of health that passes, the lab's own witnesses healthy, and a
 * journal that shows each gate waiting out the move and each retry with its cause (no secret).
 * Then a blip that does not clear (a rebuild-one of m2; the endpoint's apiserver refuses from the
 * masters' kubelet step on): the run stops, naming the host, the phase and the retries it made, and
 * `kubemend resume` completes once the apiserver is back.
 */
import test from 'ava';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { StringDecoder } from 'node:string_decoder';
import { join } from 'node:path';
import { readJournal } from '../../lib/core/journal.js';
import type { StampedEvent } from '../../lib/core/events.js';
import { downSharedLab, type Lab, requireRoot, sharedLab } from '../helpers/lab.js';
import { MAIN, cli } from '../cli/run-cli.js';
import { LAB_PROOF } from '../recover/recover-lab.js';

const LAB = { masters: 3, workers: 2, net: 74, dir: '/tmp/h-ridethrough/lab', servingCerts: true };
const HOSTS = ['m1', 'm2', 'm3', 'w1', 'w2'];
/** How long each apiserver blip lasts (shorter than the retries' budget: kubeadm 3+6+12 s, API 1+2+4+8 s). */
const BLIP_S = 8;

test.after.always(async () => {
  // no other file uses this lab: left up, its 3+2 cluster loaded the machine for the rest of the suite
  await downSharedLab(LAB);
});

interface Status {
  healthy: boolean;
  problems: string[];
}

async function labStatus(lab: Lab): Promise<Status> {
  return JSON.parse((await lab.lab(['status', '--json'])).stdout) as Status;
}

/** The journal of the one run in `state`, as it is now (empty before the run folder exists). */
function journalNow(state: string): StampedEvent[] {
  const runs = existsSync(state) ? readdirSync(state) : [];
  const file = runs.length === 1 ? join(state, runs[0]!, 'journal.jsonl') : '';
  return file && existsSync(file) ? readJournal(file) : [];
}

/** The journal of the one run in `state` as it grows: each call parses only the lines written since the last. */
function journalFollower(state: string): () => StampedEvent[] {
  const events: StampedEvent[] = [];
  const utf8 = new StringDecoder('utf8');
  let file = '';
  let offset = 0;
  let rest = '';
  return () => {
    if (!file) {
      const runs = existsSync(state) ? readdirSync(state) : [];
      if (runs.length !== 1) return events;
      file = join(state, runs[0]!, 'journal.jsonl');
    }
    if (!existsSync(file)) return events;
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > offset) {
        const buf = Buffer.alloc(size - offset);
        offset += readSync(fd, buf, 0, buf.length, offset);
        rest += utf8.write(buf);
      }
    } finally {
      closeSync(fd);
    }
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l) as StampedEvent);
    return events;
  };
}

/** A fault fired once when `when` first holds for the journal; what the lab tool said is kept. */
interface Trigger {
  name: string;
  when(events: StampedEvent[]): boolean;
  fire(): Promise<{ code: number; stdout: string; stderr: string }>;
  /**
   * Hold kubemend (SIGSTOP) from the moment `when` holds until the fault is in place (SIGCONT), for a
   * step whose calls would otherwise be done before the lab tool has set the fault up.
   */
  hold?: boolean;
  fired?: Promise<{ code: number; stdout: string; stderr: string }>;
  /** When the lab tool returned (epoch ms). */
  doneAt?: number;
}

/** Run `kubemend args` while following its journal every 20 ms and firing each trigger once. */
async function runWithFaults(args: string[], state: string, triggers: Trigger[]) {
  const follow = journalFollower(state);
  let timer: NodeJS.Timeout | undefined;
  try {
    const r = await cli(MAIN, args, {
      onSpawn: (child) => {
        timer = setInterval(() => {
          const events = follow();
          for (const tr of triggers) {
            if (tr.fired || !tr.when(events)) continue;
            if (tr.hold) child.kill('SIGSTOP');
            tr.fired = tr.fire().finally(() => {
              tr.doneAt = Date.now();
              if (tr.hold) child.kill('SIGCONT');
            });
          }
        }, 20);
      },
    });
    return { ...r, out: r.stdout + r.stderr };
  } finally {
    clearInterval(timer);
  }
}

const isRetry = (e: StampedEvent): e is Extract<StampedEvent, { kind: 'retry' }> => e.kind === 'retry';
const logOf = (e: StampedEvent) => (e.kind === 'log' ? e.message : '');

/** The master whose address is the inventory's controlPlaneEndpoint (the lab makes it the first master's). */
function endpointMaster(lab: Lab): string {
  const ep = /^controlPlaneEndpoint:\s*(\S+):\d+\s*$/m.exec(readFileSync(lab.inventoryPath, 'utf8'))?.[1];
  const m = lab.hosts.find((h) => h.address === ep);
  if (!m) throw new Error(`no lab host has the endpoint's address ${ep}`);
  return m.name;
}

/** The proof of health printed PASS rows and no FAIL. */
function assertProof(t: any, out: string): void {
  t.regex(out, /proof of health:/);
  t.notRegex(out, /^FAIL /m, out.slice(-3000));
  for (const row of [
    'nodes Ready',
    'etcd members healthy',
    'workload pods Ready',
    "cluster's objects present",
    ...HOSTS.map((h) => `${h} certs chain to CA`),
  ]) {
    t.regex(out, new RegExp(`^PASS  ${row.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'), `proof row: ${row}`);
  }
}

test.serial(
  'recover rides out an etcd leader move during each master join and apiserver blips during the worker rejoin and the serving-CSR step',
  async (t) => {
    if (!requireRoot(t)) return;
    const lab = await sharedLab(LAB);
    const healthy = await labStatus(lab);
    t.true(healthy.healthy, healthy.problems.join('; '));
    const broke = await lab.lab(['break', 'pki-wipe']);
    t.is(broke.code, 0, broke.stderr);
    const ep = endpointMaster(lab);
    const state = tempDir('/tmp/kubemend-ridethrough-state-');
    const joinStart = (m: string) => (es: StampedEvent[]) => es.findIndex((e) => e.kind === 'host-start' && e.phase === 'others/join' && e.host === m);
    const triggers: Trigger[] = [];
    for (const m of ['m2', 'm3']) {
      triggers.push(
        {
          name: `leader move while ${m}'s gate reads etcd`,
          // the gate's first etcd read (on the first master) after m's join started
          when: (es) => {
            const i = joinStart(m)(es);
            return i >= 0 && es.slice(i).some((e) => e.kind === 'command' && e.phase === 'others/join' && /endpoint status --cluster/.test(e.command));
          },
          fire: () => lab.lab(['fault', 'etcd-leader-change']),
        },
        {
          name: `leader move as ${m}'s gate passes (control-plane-prepare runs)`,
          when: (es) => es.some((e) => e.kind === 'log' && e.phase === 'others/join' && e.host === m && /^join gate passed/.test(e.message)),
          fire: () => lab.lab(['fault', 'etcd-leader-change']),
        },
      );
    }
    triggers.push(
      {
        // kubeadm's own API calls retry on their own (token create's writes, kubelet-start's discovery):
        // the blip starts as w1's kubelet-start ends, when the rolling gate asks the API for w1's Node.
        // kubemend is held until the refusals are on: without it, a lab whose kubelet registers within
        // the second the lab tool takes to set the fault up let the gate see w1 Ready first, and the
        // test saw no retry (the full run of 2026-12-06 on ECDSA keys)
        name: `${ep}'s apiserver refuses for ${BLIP_S}s as w1's kubelet-start ends (the rolling gate reads Nodes)`,
        when: (es) => es.some((e) => e.kind === 'command' && e.phase === 'workers/rejoin' && e.host === 'w1' && /kubelet-start/.test(e.command)),
        hold: true,
        fire: () => lab.lab(['fault', 'apiserver-blip', ep, String(BLIP_S), '--mode', 'refuse']),
      },
      {
        name: `${ep}'s apiserver answers 503 for ${BLIP_S}s as the serving-CSR step starts`,
        // the step's calls take a few tens of ms once its CSRs are there: kubemend is held until the 503s are on
        when: (es) => es.some((e) => e.kind === 'phase-start' && e.phase === 'api/serving-csrs'),
        hold: true,
        fire: () => lab.lab(['fault', 'apiserver-blip', ep, String(BLIP_S), '--mode', '503']),
      },
    );

    const r = await runWithFaults(['run', 'recover', '-i', lab.inventoryPath, '--state-dir', state, '--yes', ...LAB_PROOF], state, triggers);
    for (const tr of triggers) {
      t.truthy(tr.fired, `fault fired: ${tr.name}`);
      const f = await tr.fired;
      t.is(f?.code, 0, `${tr.name}: ${f?.stderr}`);
      t.log(`${tr.name}: ${(f?.stdout ?? '').trim()}`);
    }
    t.is(r.code, 0, r.out.slice(-5000));
    assertProof(t, r.out);
    const s = await labStatus(lab);
    t.true(s.healthy, s.problems.join('; '));

    const events = journalNow(state);
    for (const [i, m] of ['m2', 'm3'].entries()) {
      const logs = events.filter((e) => e.kind === 'log' && e.host === m && e.phase === 'others/join').map(logOf);
      t.true(
        logs.some((l) => /^join gate passed: etcd leader \S+ \(term \d+\) over 3 reads, 3 of 3 members healthy/.test(l)),
        `${m}'s gate passed: ${logs.join(' | ')}`,
      );
      // the move fired at the gate's first read: when it was done before the gate's last read began, the gate must have seen it and waited
      const passed = events.findIndex((e) => e.kind === 'log' && e.host === m && /^join gate passed/.test(e.message));
      const lastRead = events
        .slice(0, passed)
        .reverse()
        .find((e) => e.kind === 'command' && e.phase === 'others/join' && /endpoint status --cluster/.test(e.command));
      const lastReadStart = lastRead && lastRead.kind === 'command' ? Date.parse(lastRead.ts) - lastRead.durationMs : 0;
      const moved = triggers[2 * i]!.doneAt ?? Infinity;
      if (moved < lastReadStart)
        t.true(
          logs.some((l) => /^etcd's leader moved \(/.test(l)),
          `${m}'s gate saw the leader move and waited: ${logs.join(' | ')}`,
        );
      else t.log(`${m}: the leader move ended after the gate's last read (under load): it landed in the join itself`);
    }
    const retries = events.filter(isRetry);
    t.log(`retries: ${retries.map((e) => `${e.host} ${e.phase} ${e.step}: ${e.cause}`).join('; ') || 'none'}`);
    t.true(
      retries.some((e) => ['workers/rejoin'].includes(e.phase) && /connection refused|connection reset|TLS/.test(e.cause)),
      'the worker rejoin retried through the refused apiserver',
    );
    t.true(
      retries.some((e) => e.phase === 'api/serving-csrs' && e.cause === 'HTTP 503 service unavailable'),
      'the serving-CSR step retried through the 503s',
    );
    const journal = readFileSync(join(state, readdirSync(state)[0]!, 'journal.jsonl'), 'utf8');
    t.notRegex(journal, /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/, 'no bootstrap token in the journal');
  },
);

test.serial('a blip that does not clear: the run stops, named, with its retries journaled; resume completes once the apiserver is back', async (t) => {
  if (!requireRoot(t)) return;
  const lab = await sharedLab(LAB);
  // m2 loses its PKI (rebuild-one); its kubelet step reads the cluster's kubelet-config, the next step lists pods
  const broke = await lab.lab(['break', 'pki-wipe-one', '--hosts', 'm2']);
  t.is(broke.code, 0, broke.stderr);
  const ep = endpointMaster(lab);
  const state = tempDir('/tmp/kubemend-ridethrough-state-');
  // much longer than any retry budget (kubectl reads: 3 + 6 + 12 s of waits; API calls: 1 + 2 + 4 + 8 s)
  const LONG_S = 600;
  const blip: Trigger = {
    name: `${ep}'s apiserver refuses for ${LONG_S}s from the start of the masters' kubelet step`,
    when: (es) => es.some((e) => e.kind === 'phase-start' && e.phase === 'masters/kubelet'),
    fire: () => lab.lab(['fault', 'apiserver-blip', ep, String(LONG_S), '--mode', 'refuse']),
  };
  let r;
  try {
    r = await runWithFaults(['run', 'recover', '-i', lab.inventoryPath, '--state-dir', state, '--yes', ...LAB_PROOF], state, [blip]);
  } finally {
    await blip.fired;
    // the apiserver comes back (removing the fault's file ends it at its next read)
    const over = await lab.exec(ep, ['sh', '-c', 'rm -f /run/lab/apiserver-blip']);
    t.is(over.code, 0, over.stderr);
  }
  t.is(r.code, 1, r.out.slice(-3000));
  // whichever read meets the refused apiserver first (the kubelet-config read of m2, or the pod list after it), it is named with its retries.
  // The API client goes through kubemend's SSH tunnel: a connection the far end refuses opens locally and
  // is then closed, so it reads as 'connection reset' (the final full run of 2026-12-05); kubectl on a host reads 'connection refused'
  t.regex(r.out, /(masters\/kubelet|api\/pods-before): .*\(tried \d+ times, every failure transient: [^)]*connection (refused|reset)/, r.out.slice(-3000));
  const events = journalNow(state);
  t.true(
    events.some((e) => isRetry(e) && (e.phase === 'masters/kubelet' || e.phase === 'api/pods-before') && /^connection (refused|reset)$/.test(e.cause)),
    'the retries are journaled',
  );
  const runId = readdirSync(state)[0]!;
  const resumed = await cli(MAIN, ['resume', runId, '--state-dir', state, '--yes']);
  t.is(resumed.code, 0, (resumed.stdout + resumed.stderr).slice(-4000));
  assertProof(t, resumed.stdout + resumed.stderr);
  const s = await labStatus(lab);
  t.true(s.healthy, s.problems.join('; '));
});
