/** Read-only facts about a kubeadm host (PKI files, CA chains, etcd, control-plane containers). */
export * from './paths.js';
export * from './pki.js';
export * from './chains.js';
export * from './etcd.js';
export * from './containers.js';
