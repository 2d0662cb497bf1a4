/** Certificate signer names kubemend decides on (kept apart from csr-policy, which loads an X.509 parser). */

/** The signer of kubelet serving certificates (the only CSRs kubemend approves). */
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
