/**
 * Pause node-lifecycle eviction during a worker rejoin (the procedure's Fix to step 13): the
 * controller-managers keep running (the rejoin needs their CSR signer, approver and bootstrap
 * signer) but restart with `-node-lifecycle-controller,-taint-eviction-controller` added to
 * `--controllers`; the manifest kubeadm wrote is kept beside it and put back afterwards.
 */
import { inventoryFirst } from '../core/hosts.js';
import type { Host } from '../inventory/types.js';
import type { PhaseContext } from '../core/types.js';

/** The controller-manager static pod manifest. */
export const KCM_MANIFEST = '/etc/kubernetes/manifests/kube-controller-manager.yaml';
/** Where the untouched manifest is kept while eviction is paused (outside the manifests folder). */
export const KCM_SAVED = '/etc/kubernetes/kubemend-kube-controller-manager.yaml.paused';
/** What is added to --controllers. */
export const PAUSED_CONTROLLERS = '-node-lifecycle-controller,-taint-eviction-controller';

/** Shell: keep the manifest, add the disabled controllers (atomic rename); prints `paused` or `already`. */
const PAUSE_SH = `set -eu
m="$1"; b="$2"; add="$3"; t=/etc/kubernetes/.kubemend-kcm.tmp
[ -f "$m" ] || { echo "no $m" >&2; exit 1; }
if [ -f "$b" ] || grep -q -e "$add" "$m"; then echo already; exit 0; fi
cp -p "$m" "$b"
if grep -q -e '- --controllers=' "$m"; then
  sed "s/^\\([[:space:]]*- --controllers=.*[^[:space:]]\\)[[:space:]]*$/\\1,$add/" "$m" > "$t"
else
  sed "s/^\\([[:space:]]*\\)- kube-controller-manager[[:space:]]*$/&\\n\\1- --controllers=*,bootstrapsigner,tokencleaner,$add/" "$m" > "$t"
fi
grep -q -e "$add" "$t" || { rm -f "$t" "$b"; echo "cannot find the command of kube-controller-manager in $m" >&2; exit 1; }
chmod 600 "$t"; mv "$t" "$m"; echo paused
`;

/** Shell: put the kept manifest back; prints `restored` or `nothing`. */
const RESTORE_SH = `set -eu
m="$1"; b="$2"; t=/etc/kubernetes/.kubemend-kcm.tmp
if [ -f "$b" ]; then cp -p "$b" "$t" && mv "$t" "$m" && rm -f "$b"; echo restored; else echo nothing; fi
`;

/** Shell: wait until the controller-manager container is not `$1` and runs (up to $2 s). */
const WAIT_RESTART_SH = `old="$1"; i=0
while [ "$i" -lt "$2" ]; do
  cur=$(crictl ps -q --name kube-controller-manager 2>/dev/null | head -n 1)
  if [ -n "$cur" ] && [ "$cur" != "$old" ]; then echo "$cur"; exit 0; fi
  sleep 1; i=$((i+1))
done
echo "kube-controller-manager did not restart within $2 s (container still ${'$'}{old:-absent})" >&2; exit 1
`;

/** Every master of the inventory (eviction is paused on all of them, whatever --limit picked). */
function allMasters(ctx: PhaseContext): Host[] {
  inventoryFirst(ctx);
  return ctx.inventory.hosts.filter((h) => h.role === 'master');
}

async function edit(ctx: PhaseContext, m: Host, script: string, args: string[], what: string): Promise<void> {
  const h = ctx.on(m);
  const before = (await h.read(['crictl', 'ps', '-q', '--name', 'kube-controller-manager'], { allowFail: true })).stdout.trim().split('\n')[0] ?? '';
  const r = await h.run(['sh', '-c', script, 'sh', ...args], { what: `${what} on ${m.name}` });
  const changed = r.stdout.trim() === 'paused' || r.stdout.trim() === 'restored';
  if (changed) {
    await h.run(['sh', '-c', WAIT_RESTART_SH, 'sh', before, '90'], { what: `wait for kube-controller-manager to restart on ${m.name}`, timeoutMs: 120_000 });
    ctx.log(`${m.name}: kube-controller-manager ${r.stdout.trim()} (${what})`);
  }
}

/** Pause node-lifecycle and taint eviction on every master (idempotent: a paused master is left as it is). */
export async function pauseEviction(ctx: PhaseContext): Promise<void> {
  for (const m of allMasters(ctx)) await edit(ctx, m, PAUSE_SH, [KCM_MANIFEST, KCM_SAVED, PAUSED_CONTROLLERS], 'pause node-lifecycle eviction');
}

/** Put every master's kept controller-manager manifest back (idempotent; also after a failure or on resume). */
export async function restoreEviction(ctx: PhaseContext): Promise<void> {
  const errors: string[] = [];
  for (const m of allMasters(ctx)) {
    try {
      await edit(ctx, m, RESTORE_SH, [KCM_MANIFEST, KCM_SAVED], 'restore node-lifecycle eviction');
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (errors.length) throw new Error(errors.join('; '));
}
