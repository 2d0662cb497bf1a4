/** What the recover phases share: the options, the chosen path, the run's id, waits, kubeadm calls. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { defaultStateDir } from '../../lib/core/journal.js';
import { writePrivate } from '../../lib/core/private-file.js';
import { backupPassphraseOption } from '../../lib/backup/encrypt.js';
import { countOrPercent, positiveCountOrPercent } from '../../lib/core/options.js';
import type { Host } from '../../lib/inventory/types.js';
import type { HostContext, PhaseContext } from '../../lib/core/types.js';
import type { Arg } from '../../lib/shell/secret.js';
import { ADMIN_CONF, KUBEADM_CONFIG } from '../../lib/facts/paths.js';
import { ownApiserverFlags } from '../../lib/kube/own-apiserver.js';
import { deleteRunTokens, deleteUploadedCerts, tokenDescription } from '../../lib/kube/bootstrap-tokens.js';
import { kubeFor } from '../../lib/kube/session.js';
import { KUBEADM_RETRY } from '../../lib/kubeadm/idempotent.js';
import { RUN, sharedKey } from '../../lib/core/shared.js';
import type { ClusterDocs } from './config.js';

/** recover's options. */
export const recoverOptions = z.object({
  replaceCa: z.boolean().default(false).describe('replace the CA of a working cluster (compromised CA): old PKI moved aside, full rebuild'),
  batchSize: positiveCountOrPercent.default(1).describe('workers rejoined per batch (number or %)'),
  maxUnavailable: positiveCountOrPercent.optional().describe('workers of a batch worked on at once (number or %; default: the batch size)'),
  maxFailures: countOrPercent.default(0).describe('workers that may fail before the run stops (number or %)'),
  waitSeconds: z.number().int().min(10).default(300).describe('how long to wait for etcd, the apiserver and nodes at each step'),
  backupPassphraseFile: backupPassphraseOption,
  encryptionConfig: z.string().optional().describe("the apiserver's EncryptionConfiguration file, to read ConfigMaps encrypted at rest when step 0 reads etcd's data (aescbc, aesgcm keys)"),
  purgeOldPki: z.boolean().default(false).describe('with --replace-ca: once the proof of health passed, remove the old, compromised PKI this run kept (host archives, the moved-aside /etc/kubernetes, the copies pulled here)'),
}).superRefine((o, ctx) => {
  if (o.purgeOldPki && !o.replaceCa) ctx.addIssue({ code: 'custom', path: ['purgeOldPki'], message: 'only with --replace-ca (other paths keep the old PKI: it is the current one)' });
});

/** Validated recover options. */
export type RecoverOptions = z.infer<typeof recoverOptions>;

/** The four repair paths. */
export type RecoverPath = 'full-rebuild' | 'rebuild-one' | 'replace-ca' | 'nothing-to-do';

/** The path decision with what it rests on. */
export interface PathDecision {
  path: RecoverPath;
  /** Masters that lost their PKI (rebuild-one) or every master (full-rebuild, replace-ca). */
  lost: string[];
  /** A master that still holds the CA (rebuild-one: the source of the copies). */
  source?: string;
  /** Workers whose CA differs from the masters' (need a rejoin). */
  staleWorkers: string[];
  /** Fingerprint and PEM of the CA before the run (replace-ca: must be gone afterwards). */
  oldCa?: { fingerprint: string; pem: string };
  reason: string;
}

/** The path facts/path chose for this run. */
export const PATH_DECISION = sharedKey<PathDecision>('recover:path');

/** The ClusterConfiguration facts/config found for this run. */
export const RECOVER_CONFIG = sharedKey<ClusterDocs>('recover:config');

/** The ClusterConfiguration found by facts/config (throws when that phase has not run). */
export function recoverConfig(ctx: PhaseContext): ClusterDocs {
  const c = ctx.shared.get(RECOVER_CONFIG);
  if (!c) throw new Error('the ClusterConfiguration is unknown: phase facts/config must run first (it reruns on resume)');
  return c;
}

/** The path chosen by facts/path (throws when that phase has not run). */
export function decision(ctx: PhaseContext): PathDecision {
  const d = ctx.shared.get(PATH_DECISION);
  if (!d) throw new Error('the repair path is unknown: phase facts/path must run first (it reruns on resume)');
  return d;
}

/** The masters the chosen path rebuilds (every master on a full rebuild or CA replacement, the lost ones on rebuild-one), among the hosts still in the run. */
export const lostMasters = (ctx: PhaseContext): readonly Host[] => ctx.hosts.filter((h) => h.role === 'master' && decision(ctx).lost.includes(h.name));

/** True when the chosen path is one of `paths`. */
export const onPath = (...paths: RecoverPath[]) => (ctx: PhaseContext): boolean => paths.includes(decision(ctx).path);

/** Any path that repairs something (every path but nothing-to-do). */
export const repairs = (ctx: PhaseContext): boolean => decision(ctx).path !== 'nothing-to-do';

/** Full rebuild or CA replacement: every master rebuilt from a new CA. */
export const rebuildsAll = onPath('full-rebuild', 'replace-ca');

/** The run's id (a fixed `plan` in dry runs). */
export function runIdOf(ctx: PhaseContext): string {
  return ctx.shared.get(RUN)?.id ?? 'plan';
}

/** The state dir with every run's folder (the CLI's --state-dir; the default one when not given). */
export function stateDirOf(ctx: PhaseContext): string {
  const r = ctx.shared.get(RUN);
  return r?.stateDir ?? (r?.dir ? dirname(r.dir) : defaultStateDir());
}

/** The run's folder on this machine (undefined in dry runs). */
export function runDirOf(ctx: PhaseContext): string | undefined {
  return ctx.shared.get(RUN)?.dir;
}

/** A bootstrap token as kubeadm prints it (`[a-z0-9]{6}.[a-z0-9]{16}`). */
const TOKEN_LINE = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
/** A certificate key as `kubeadm certs certificate-key` prints it (32 bytes, hex). */
const KEY_LINE = /^[0-9a-f]{64}$/;

/** The one line of `stdout` that has the shape of `what`; throws (without echoing the output) when none has. */
export function secretLine(stdout: string, shape: 'token' | 'certificate-key', doing: string): string {
  const re = shape === 'token' ? TOKEN_LINE : KEY_LINE;
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => re.test(l));
  if (lines.length !== 1) throw new Error(`${doing} printed ${lines.length ? 'more than one' : 'no'} ${shape === 'token' ? 'bootstrap token' : 'certificate key'} (${stdout.split('\n').filter(Boolean).length} lines of output, not shown: they may hold secrets); nothing was changed with it`);
  return lines[0];
}

/** What each bootstrap token a run makes is for (its description names the run and this). */
export const TOKEN_PURPOSE = {
  bootstrapPhase: 'made by init phase bootstrap-token, deleted at once (step 6)',
  controlPlaneJoin: 'control-plane join (steps 7-8)',
  workerJoin: 'worker join (steps 12-13)',
} as const;

/**
 * Delete the run's bootstrap tokens made for `purpose` and (`certs`) kube-system/kubeadm-certs with
 * the token that owns it, through the API (a dry run plans it). A phase's clean-up: after it
 * succeeded, failed or was found complete on resume.
 */
export async function deleteJoinSecrets(ctx: PhaseContext, purpose: string, certs: boolean): Promise<void> {
  const what = `delete this run's bootstrap tokens for "${purpose}"${certs ? ' and the kubeadm-certs Secret' : ''}`;
  await ctx.wet(what, async () => {
    const kube = await kubeFor(ctx);
    const n = await deleteRunTokens(kube, runIdOf(ctx), purpose);
    const gone = certs && (await deleteUploadedCerts(kube));
    ctx.log(`deleted ${n} bootstrap token${n === 1 ? '' : 's'} made for "${purpose}"${certs ? (gone ? ' and the kubeadm-certs Secret with its owner token' : '; no kubeadm-certs Secret left') : ''}`);
  }, undefined);
}

/**
 * `kubeadm token create --ttl TTL --description DESC` on `h`: kubeadm generates the token and
 * prints it (stdout only: never an argument, cmd/kubeadm/app/cmd/token.go `token create [token]`
 * takes one only when given); checked for its shape before any use. The description names the run
 * and `purpose`, so the clean-up finds the token again (lib/kube/bootstrap-tokens.ts).
 */
export async function createToken(h: HostContext, ttl: string, purpose: string): Promise<string> {
  const argv = ['kubeadm', 'token', 'create', '--ttl', ttl, '--description', tokenDescription(runIdOf(h), purpose)];
  return secretLine((await h.run(argv, { what: 'kubeadm token create', retry: KUBEADM_RETRY.tokenCreate })).stdout, 'token', `${h.host.name}: kubeadm token create`);
}

/** A JSON file this run kept in its folder (a resumed run reads what the first attempt wrote); undefined in dry runs or when absent. */
export function readRunFile<T>(ctx: PhaseContext, file: string): T | undefined {
  const dir = runDirOf(ctx);
  if (!dir || !existsSync(join(dir, file))) return undefined;
  return JSON.parse(readFileSync(join(dir, file), 'utf8')) as T;
}

/** Keep `value` as JSON in the run's folder, mode 0600 (real runs only: dry runs have no folder). */
export function writeRunFile(ctx: PhaseContext, file: string, value: unknown): void {
  const dir = runDirOf(ctx);
  if (dir) writePrivate(join(dir, file), JSON.stringify(value, null, 1) + '\n');
}

/** `kubeadm ARGS --config <kubemend's config>`. */
export function kubeadm(h: HostContext, args: readonly Arg[], what?: string) {
  return h.run(['kubeadm', ...args, '--config', KUBEADM_CONFIG], { what: what ?? `kubeadm ${args.join(' ')}`, timeoutMs: 300_000 });
}

/** kubectl on a master with its admin.conf, through admin.conf's server: the control-plane endpoint (read-only use). */
export function kubectlArgv(...args: string[]): string[] {
  return ['kubectl', '--kubeconfig', ADMIN_CONF, '--request-timeout=10s', ...args];
}

/**
 * kubectl on master `host` with its admin.conf's credentials and CA, sent to that master's OWN
 * apiserver at its own address (lib/kube/own-apiserver.ts), not through the endpoint: a load
 * balancer or VIP may not have noticed a rebuilt apiserver yet, and the endpoint may be another
 * master's address.
 */
export function kubectlOn(host: { address: string }, ...args: string[]): string[] {
  return ['kubectl', '--kubeconfig', ADMIN_CONF, ...ownApiserverFlags(host), '--request-timeout=10s', ...args];
}

/**
 * Wait until `check` returns true (it returns a reason string while not yet): polled every 2 s up
 * to the run's waitSeconds (any playbook with that option: recover, renew-certs). A dry run records
 * the wait and does not poll.
 */
export async function waitFor(ctx: PhaseContext<{ waitSeconds?: number }>, what: string, check: () => Promise<true | string>, seconds?: number): Promise<void> {
  await ctx.wet(`wait: ${what}`, async () => {
    const deadline = Date.now() + (seconds ?? ctx.options.waitSeconds ?? 300) * 1000;
    let last = '';
    for (;;) {
      if (ctx.signal.aborted) throw new Error(`${what}: interrupted`);
      const r = await check().catch((e: Error) => e.message);
      if (r === true) return;
      last = r;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${last}`);
      await new Promise((res) => setTimeout(res, 2000));
    }
  }, undefined);
}

/** The inventory host called `name`. */
export function hostNamed(ctx: PhaseContext, name: string): Host {
  const h = ctx.inventory.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`host ${name} is not in the inventory`);
  return h;
}
