/**
 * `recover`: rebuild the PKI of a kubeadm cluster and prove it whole. One ordered list that reads
 * like the table of recovery-procedure.md; each phase skips itself when the chosen path
 * (full-rebuild, rebuild-one, replace-ca, nothing-to-do) does not need it.
 */
import { definePlaybook } from '../lib/core/types.js';
import { type RecoverOptions, recoverOptions } from './recover/common.js';
import { shapePhase } from './recover/00-shape.js';
import { configPhase } from './recover/00-config.js';
import { pathPhase } from './recover/00-path.js';
import { endpointPhase } from './recover/00-endpoint.js';
import { backupPhase } from './recover/00-backup.js';
import { cleanPhase } from './recover/01-clean.js';
import { etcdCaPhase } from './recover/02-etcd-ca.js';
import { etcdCaCopyPhase } from './recover/03-etcd-ca-copy.js';
import { etcdHealthyPhase, etcdStartPhase } from './recover/04-etcd.js';
import { firstControlPlanePhase } from './recover/05-first-control-plane.js';
import { bootstrapTokenPhase } from './recover/06-bootstrap-token.js';
import { joinOthersPhase } from './recover/08-join-others.js';
import { frontProxyPhase } from './recover/09-front-proxy-check.js';
import { rebuildOnePhase } from './recover/09-rebuild-one.js';
import { masterKubeletsPhase } from './recover/10-master-kubelets.js';
import { controllerManagerPhase } from './recover/11-controller-manager.js';
import { verifyPhase } from './recover/17-verify.js';
import { oldPkiPhase } from './recover/18-old-pki.js';
import { podsBeforeEarlyPhase, podsBeforePhase } from './recover/13a-pods-before.js';
import { workersRejoin } from './recover/13b-workers-rejoin.js';
import { servingCsrs } from './recover/14-serving-csrs.js';
import { saTokens } from './recover/15-sa-tokens.js';
import { restartPods } from './recover/16-restart-pods.js';
import { evictionPauseFirst, evictionPauseJoined, evictionRestore } from './recover/eviction.js';

/** The recover playbook. */
export default definePlaybook<RecoverOptions>({
  name: 'recover',
  description: 'Rebuild the PKI of a kubeadm cluster (full-rebuild, rebuild-one, replace-ca) and prove it whole',
  destructive: true,
  kubesprayEtcd: true, // kubespray's etcd service on the masters is kept (shared/layout.ts); step 0 refuses the shapes not repaired
  options: recoverOptions,
  phases: [
    shapePhase, //              0  the layout: kubeadm's or kubespray's default (other kubespray shapes refused before anything is read or changed)
    configPhase, //             0  ClusterConfiguration found before anything changes
    pathPhase, //               0  facts and the path (journaled)
    endpointPhase, //           0  where the endpoint leads: the first master (journaled)
    backupPhase, //             0  every host archived and pulled
    cleanPhase, //              1  masters: leftovers aside, control-plane containers stopped
    etcdCaPhase, //             2  first: etcd CA
    etcdCaCopyPhase, //         3  others: etcd CA copied
    etcdStartPhase, //          4  masters: etcd certs and static pod
    etcdHealthyPhase, //        4  every member healthy
    firstControlPlanePhase, //  5  first: certs, kubeconfigs, control plane
    evictionPauseFirst, //      5  first: node-lifecycle eviction paused from the new controller-manager's start
    bootstrapTokenPhase, //     6  first: cluster-info rewritten
    podsBeforeEarlyPhase, //    6  workload pods recorded before any node is back (the proof compares)
    joinOthersPhase, //       7-8  first: certificate key, upload-certs, token (once, when a master is to join); others, one at a time
    evictionPauseJoined, //     8  others: eviction paused before step 10 makes nodes Ready
    frontProxyPhase, //         9  front-proxy CA in extension-apiserver-authentication
    rebuildOnePhase, //            rebuild-one: lost masters from a healthy one
    masterKubeletsPhase, //    10  master kubelets re-bootstrapped
    controllerManagerPhase, // 11  controller-manager restarted
    podsBeforePhase, //        13  workload pods recorded (any path that repairs something)
    workersRejoin, //          13  workers rejoined, rolling (a join token made when the first one needs it)
    evictionRestore, //        13  eviction back once every worker is Ready (before anything is restarted or proved)
    servingCsrs, //            14  kubelet serving CSRs approved
    saTokens, //               15  full-rebuild, replace-ca: SA token Secrets blanked and refilled
    restartPods, //            16  full-rebuild, replace-ca: pods holding in-cluster credentials restarted
    verifyPhase, //            17  proof of health
    oldPkiPhase, //            18  replace-ca: the old PKI removed (--purge-old-pki) or where it is said
  ],
});
