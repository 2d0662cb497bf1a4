/** Fact: which PKI files a host holds, and the fingerprints of its CAs (read-only). */
import type { Fact } from '../core/types.js';
import { MASTER_CA_FILES, PKI } from './paths.js';

/** What a host's PKI folder holds. */
export interface PkiState {
  /** Files of MASTER_CA_FILES present (relative to /etc/kubernetes/pki). */
  present: string[];
  /** SHA-256 fingerprint of pki/ca.crt, or null. */
  ca: string | null;
  /** SHA-256 fingerprint of pki/etcd/ca.crt, or null. */
  etcdCa: string | null;
  /** True when every CA file of a master is there. */
  complete: boolean;
}

/** Parse the output of pkiState's script (`file <name>` and `fp <name> <fingerprint>` lines); `complete` when every one of `caFiles` is there. */
export function parsePkiState(out: string, caFiles: readonly string[] = MASTER_CA_FILES): PkiState {
  const present: string[] = [];
  const fps = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [kind, name, ...rest] = line.trim().split(/\s+/);
    // openssl prints `sha256 Fingerprint=AA:BB:...` (two words): the fingerprint is after '='
    const fp = rest
      .join(' ')
      .replace(/^.*Fingerprint=/i, '')
      .trim();
    if (kind === 'file' && name) present.push(name);
    if (kind === 'fp' && name && fp) fps.set(name, fp.toUpperCase());
  }
  return { present, ca: fps.get('ca.crt') ?? null, etcdCa: fps.get('etcd/ca.crt') ?? null, complete: caFiles.every((f) => present.includes(f)) };
}

/**
 * The CA files (`caFiles`, relative) present under `dir` and the CA fingerprints: kubeadm's
 * /etc/kubernetes/pki by default; kubespray's kube_cert_dir /etc/kubernetes/ssl (which its workers
 * hold without the pki link, and which has no etcd CA: playbooks/shared/layout.ts).
 */
export function pkiStateIn(dir: string, caFiles: readonly string[]): Fact<PkiState> {
  return {
    id: dir === PKI && caFiles === MASTER_CA_FILES ? 'kubemend:pki-state' : `kubemend:pki-state:${dir}:${caFiles.join(',')}`,
    argv: [
      'sh',
      '-c',
      'cd "$1" 2>/dev/null || exit 0; shift; for f in "$@"; do [ -f "$f" ] && echo "file $f"; done; ' +
        'for f in ca.crt etcd/ca.crt; do [ -f "$f" ] && echo "fp $f $(openssl x509 -noout -fingerprint -sha256 -in "$f")"; done; exit 0',
      'sh',
      dir,
      ...caFiles,
    ],
    parse: (out) => parsePkiState(out, caFiles),
  };
}

/** The CA files present under /etc/kubernetes/pki and the CA fingerprints. */
export const pkiState: Fact<PkiState> = pkiStateIn(PKI, MASTER_CA_FILES);
