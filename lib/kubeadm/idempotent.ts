/**
 * The kubeadm steps kubemend repeats when they fail with a transient error (lib/core/transient.ts),
 * each with why a repeat is safe, read in the kubeadm v1.32 source (kubernetes/kubernetes, paths
 * under cmd/kubeadm/app/). A step not listed here is never retried: its failure stops the run,
 * named, and `kubemend resume` starts that phase again once the cause is gone.
 *
 * Not retried, on purpose:
 * - `join phase control-plane-join` (etcd member add, etcd static pod, mark-control-plane): kubeadm's
 *   own etcd client already retries each call for up to 2 minutes (util/etcd/etcd.go: every
 *   EtcdAPICallRetryInterval until the EtcdAPICall timeout), so a failure that reaches kubemend is
 *   not a blip; and the member it may have added (a learner not yet promoted, in 1.29+) is state a
 *   blind repeat would start from without looking at it. The join gate (playbooks/recover/join-gate.ts)
 *   runs before it instead.
 * - `init phase upload-certs`: every run makes a new bootstrap token that owns kube-system/kubeadm-certs
 *   (phases/copycerts/copycerts.go UploadCerts: createShortLivedBootstrapToken), so a repeat would
 *   leave the first attempt's token behind, where the run's clean-up (which deletes the Secret's
 *   current owner) does not find it.
 * - the local `init phase` steps (certs, kubeconfig, control-plane, etcd local, kubelet-start of
 *   init): they talk to no server, so nothing transient can make them fail.
 */
import type { RetryPolicy } from '../core/retry.js';

/** Attempts and backoff for kubeadm commands: 4 attempts, 3 s, 6 s, 12 s apart (each attempt has kubeadm's own 10 s request timeouts). */
const KUBEADM_BACKOFF = { attempts: 4, delayMs: 3000, maxDelayMs: 15_000 };

/** A read (kubectl get) that must not take a blip for an answer: repeating a read changes nothing. */
export const READ_RETRY: RetryPolicy = { idempotent: 'a read changes nothing', ...KUBEADM_BACKOFF };

/** The kubeadm steps kubemend retries. */
export const KUBEADM_RETRY = {
  /**
   * `kubeadm join phase control-plane-prepare all`: each sub-phase rewrites or re-checks what it
   * made: download-certs writes every certificate and key of the kubeadm-certs Secret over the file
   * (phases/copycerts/copycerts.go DownloadCerts -> writeCertOrKey: keyutil.WriteKey,
   * certutil.WriteCert, commit 046d201c45cebd19eb1fc4612426761c64802825); certs uses a certificate
   * already on disk when it is signed by the CA ("Using existing ... certificate and key on disk",
   * phases/certs/certs.go); kubeconfig keeps a file whose CA and server match ("Using existing
   * kubeconfig file", phases/kubeconfig/kubeconfig.go createKubeConfigFileIfNotExists); control-plane
   * writes the static pod manifests over the old ones. Its API calls (discovery, download-certs'
   * GET of kubeadm-certs, the kubeadm-config read) are reads.
   */
  controlPlanePrepare: {
    idempotent:
      'control-plane-prepare: download-certs overwrites, certs and kubeconfig reuse what they made, control-plane overwrites the manifests; its API calls are reads',
    ...KUBEADM_BACKOFF,
  },
  /**
   * `kubeadm join phase kubelet-start` (cmd/phases/join/kubelet.go runKubeletStartJoinPhase, index
   * id 488198003): it writes bootstrap-kubelet.conf, the KubeletConfiguration and
   * kubeadm-flags.env over the old ones, writes the CA only when absent, stops and starts the kubelet,
   * waits for kubelet.conf and annotates the Node's CRI socket (a patch). The one check that a repeat
   * can trip is "a Node with name ... and status Ready already exists", which means the kubelet
   * did join: a final answer (lib/core/transient.ts), never retried, and a resumed run skips a
   * worker already joined to the current CA.
   */
  kubeletStart: {
    idempotent: 'kubelet-start: every file rewritten, the kubelet restarted; a Node already Ready is a final answer',
    ...KUBEADM_BACKOFF,
  },
  /**
   * `kubeadm token create`: each attempt makes a new random token (cmd/token.go RunCreateToken); an
   * attempt whose answer was lost may have stored one, but every token kubemend makes carries a
   * description naming the run and its purpose (lib/kube/bootstrap-tokens.ts), and the clean-up
   * deletes every token so described: a repeat leaves nothing behind.
   */
  tokenCreate: {
    idempotent: 'token create: a new token per attempt; every one is described with the run and deleted by the clean-up',
    ...KUBEADM_BACKOFF,
  },
} satisfies Record<string, RetryPolicy>;
