/**
 * Pause node-lifecycle eviction while nodes are NotReady because of the repair (the procedure's
 * Fix to step 13, and its zone rule): the controller-managers keep running (the rejoin needs their
 * CSR signer, approver and bootstrap signer) but restart with
 * `-node-lifecycle-controller,-taint-eviction-controller` added to `--controllers` (only
 * `-node-lifecycle-controller` for a v1.28 controller-manager: see PAUSE_SH); the manifest kubeadm
 * wrote is kept beside it and put back afterwards. Pausing again after kubeadm rewrote the manifest
 * keeps the newer kubeadm manifest as the one to put back.
 */
import { inventoryFirst, inventoryMasters } from '../core/hosts.js';
import type { Host } from '../inventory/types.js';
import type { HostContext, PhaseContext } from '../core/types.js';
import { kubeSystemContainersArgv } from '../facts/containers.js';
import { KUBE_SYSTEM_LABEL } from '../facts/paths.js';

/** The controller-manager static pod manifest. */
export const KCM_MANIFEST = '/etc/kubernetes/manifests/kube-controller-manager.yaml';
/** Where the untouched manifest is kept while eviction is paused (outside the manifests folder). */
export const KCM_SAVED = '/etc/kubernetes/kubemend-kube-controller-manager.yaml.paused';
/** What is added to --controllers (v1.29 and later). */
export const PAUSED_CONTROLLERS = '-node-lifecycle-controller,-taint-eviction-controller';
/** What marks a paused manifest (in every version's list). */
const PAUSED_MARK = '-node-lifecycle-controller';

/**
 * Shell: keep the manifest, add the disabled controllers (atomic rename); prints `paused` or
 * `already`. The taint-eviction controller exists from v1.29 (feature SeparateTaintEvictionController,
 * beta and on from 1.29, k/k pkg/features/kube_features.go); before, taint eviction runs inside the
 * node lifecycle controller, and a v1.28 controller-manager refuses to start with a name it does not
 * know (`"taint-eviction-controller" is not in the list of known controllers`, k/k
 * cmd/controller-manager/app/options/generic.go Validate). So a manifest whose image is
 * kube-controller-manager v1.28 (or older) gets `-node-lifecycle-controller` only; any other gets both.
 * $1 manifest, $2 where to keep kubeadm's, $3 the v1.29+ list, $4 the mark of a paused manifest.
 */
export const PAUSE_SH = `set -eu
m="$1"; b="$2"; add="$3"; mark="$4"; t="\${b%/*}/.kubemend-kcm.tmp"
[ -f "$m" ] || { echo "no $m" >&2; exit 1; }
if grep -q -e "$mark" "$m"; then echo already; exit 0; fi
minor=$(sed -n 's/^[[:space:]]*image:.*kube-controller-manager:v1\\.\\([0-9][0-9]*\\)\\..*$/\\1/p' "$m" | head -n 1)
if [ -n "$minor" ] && [ "$minor" -lt 29 ]; then add="$mark"; fi
cp -p "$m" "$b"
if grep -q -e '- --controllers=' "$m"; then
  sed "s/^\\([[:space:]]*- --controllers=.*[^[:space:]]\\)[[:space:]]*$/\\1,$add/" "$m" > "$t"
else
  sed "s/^\\([[:space:]]*\\)- kube-controller-manager[[:space:]]*$/&\\n\\1- --controllers=*,bootstrapsigner,tokencleaner,$add/" "$m" > "$t"
fi
grep -q -e "$mark" "$t" || { rm -f "$t" "$b"; echo "cannot find the command of kube-controller-manager in $m" >&2; exit 1; }
chmod 600 "$t"; mv "$t" "$m"; echo paused
`;

/** Shell: put the kept manifest back ($1 manifest, $2 the kept one); prints `restored` or `nothing`. */
export const RESTORE_SH = `set -eu
m="$1"; b="$2"; t="\${b%/*}/.kubemend-kcm.tmp"
if [ -f "$b" ]; then cp -p "$b" "$t" && mv "$t" "$m" && rm -f "$b"; echo restored; else echo nothing; fi
`;

/** Shell: wait until the controller-manager container is not `$1` and runs (up to $2 s); only kube-system's, by its exact name. */
const WAIT_RESTART_SH = `old="$1"; i=0
while [ "$i" -lt "$2" ]; do
  cur=$(crictl ps -q --name '^kube-controller-manager$' --label ${KUBE_SYSTEM_LABEL} 2>/dev/null | head -n 1)
  if [ -n "$cur" ] && [ "$cur" != "$old" ]; then echo "$cur"; exit 0; fi
  sleep 1; i=$((i+1))
done
echo "kube-controller-manager did not restart within $2 s (container still ${'$'}{old:-absent})" >&2; exit 1
`;

/** Every master of the inventory (eviction is paused on all of them, whatever --limit picked). */
export function allMasters(ctx: PhaseContext): Host[] {
  inventoryFirst(ctx);
  return inventoryMasters(ctx);
}

async function edit(h: HostContext, script: string, args: string[], what: string): Promise<string> {
  const before = (await h.read(kubeSystemContainersArgv(['kube-controller-manager']), { allowFail: true })).stdout.trim().split('\n')[0] ?? '';
  const r = await h.run(['sh', '-c', script, 'sh', ...args], { what: `${what} on ${h.host.name}` });
  const done = r.stdout.trim();
  if (done === 'paused' || done === 'restored') {
    await h.run(['sh', '-c', WAIT_RESTART_SH, 'sh', before, '90'], {
      what: `wait for kube-controller-manager to restart on ${h.host.name}`,
      timeoutMs: 120_000,
    });
    h.log(`${h.host.name}: kube-controller-manager ${done} (${what})`);
  }
  return done;
}

/** Pause node-lifecycle and taint eviction in this master's controller-manager (a paused one is left as it is). */
export function pauseOn(h: HostContext): Promise<string> {
  return edit(h, PAUSE_SH, [KCM_MANIFEST, KCM_SAVED, PAUSED_CONTROLLERS, PAUSED_MARK], 'pause node-lifecycle eviction');
}

/** Put this master's kept controller-manager manifest back (nothing when it was not paused). */
export function restoreOn(h: HostContext): Promise<string> {
  return edit(h, RESTORE_SH, [KCM_MANIFEST, KCM_SAVED], 'restore node-lifecycle eviction');
}

/** True when this master's controller-manager runs paused by kubemend (its kubeadm manifest is kept aside). */
export async function pausedOn(h: HostContext): Promise<boolean> {
  return (await h.read(['test', '-f', KCM_SAVED], { allowFail: true, what: `is eviction paused on ${h.host.name}` })).exitCode === 0;
}

/** Pause node-lifecycle and taint eviction on every master (idempotent: a paused master is left as it is). */
export async function pauseEviction(ctx: PhaseContext): Promise<void> {
  for (const m of allMasters(ctx)) await pauseOn(ctx.on(m));
}

/** Put every master's kept controller-manager manifest back (idempotent; also after a failure or on resume). */
export async function restoreEviction(ctx: PhaseContext): Promise<void> {
  const errors: string[] = [];
  for (const m of allMasters(ctx)) {
    try {
      await restoreOn(ctx.on(m));
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (errors.length) throw new Error(errors.join('; '));
}
