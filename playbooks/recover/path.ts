/** The repair path from gathered facts (pure): full-rebuild, rebuild-one, replace-ca or nothing-to-do. */
import type { Role } from '../../lib/inventory/types.js';
import type { PkiState } from '../../lib/facts/pki.js';
import type { PathDecision } from './common.js';

/** What the decision needs per host. */
export interface HostPki {
  name: string;
  role: Role;
  pki: PkiState;
  /** Control-plane files besides the CAs all there (kubeconfigs, manifests). */
  controlPlaneFiles: boolean;
}

/** Choose the path; `replaceCa` is the operator's --replace-ca. */
export function choosePath(hosts: HostPki[], replaceCa: boolean): Omit<PathDecision, 'oldCa'> {
  const masters = hosts.filter((h) => h.role === 'master');
  const workers = hosts.filter((h) => h.role === 'worker');
  const whole = masters.filter((m) => m.pki.complete && m.controlPlaneFiles);
  const withCa = masters.filter((m) => m.pki.complete);
  const cas = new Set(withCa.map((m) => m.pki.ca));
  if (replaceCa)
    return {
      path: 'replace-ca',
      lost: masters.map((m) => m.name),
      staleWorkers: workers.map((w) => w.name),
      reason: '--replace-ca: the CA is replaced on purpose',
    };
  if (withCa.length === 0)
    return {
      path: 'full-rebuild',
      lost: masters.map((m) => m.name),
      staleWorkers: workers.map((w) => w.name),
      reason: 'no master holds the cluster CA any more',
    };
  if (cas.size > 1)
    throw new Error(
      `masters hold different CAs (${withCa.map((m) => `${m.name}=${m.pki.ca?.slice(0, 11)}`).join(', ')}): decide which is right, then run with --replace-ca or fix by hand`,
    );
  const ca = [...cas][0];
  const lost = masters.filter((m) => !whole.includes(m)).map((m) => m.name);
  const staleWorkers = workers.filter((w) => w.pki.ca !== ca).map((w) => w.name);
  if (lost.length === 0 && staleWorkers.length === 0)
    return { path: 'nothing-to-do', lost: [], staleWorkers: [], reason: `every master holds CA ${ca?.slice(0, 23)} and every worker trusts it` };
  return {
    path: 'rebuild-one',
    lost,
    source: whole[0]?.name ?? withCa[0].name,
    staleWorkers,
    reason: `${lost.length ? `${lost.join(', ')} lost their PKI` : 'masters whole'}; ${whole[0]?.name ?? withCa[0].name} still holds the CA${staleWorkers.length ? `; workers trusting another CA: ${staleWorkers.join(', ')}` : ''}`,
  };
}
