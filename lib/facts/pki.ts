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

/** Parse the output of pkiState's script (`file <name>` and `fp <name> <fingerprint>` lines). */
export function parsePkiState(out: string): PkiState {
  const present: string[] = [];
  const fps = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [kind, name, ...rest] = line.trim().split(/\s+/);
    // openssl prints `sha256 Fingerprint=AA:BB:...` (two words): the fingerprint is after '='
    const fp = rest.join(' ').replace(/^.*Fingerprint=/i, '').trim();
    if (kind === 'file' && name) present.push(name);
    if (kind === 'fp' && name && fp) fps.set(name, fp.toUpperCase());
  }
  return { present, ca: fps.get('ca.crt') ?? null, etcdCa: fps.get('etcd/ca.crt') ?? null, complete: MASTER_CA_FILES.every((f) => present.includes(f)) };
}

/** The CA files present under /etc/kubernetes/pki and the CA fingerprints. */
export const pkiState: Fact<PkiState> = {
  id: 'kubemend:pki-state',
  argv: [
    'sh', '-c',
    'cd "$1" 2>/dev/null || exit 0; shift; for f in "$@"; do [ -f "$f" ] && echo "file $f"; done; ' +
      'for f in ca.crt etcd/ca.crt; do [ -f "$f" ] && echo "fp $f $(openssl x509 -noout -fingerprint -sha256 -in "$f")"; done; exit 0',
    'sh', PKI, ...MASTER_CA_FILES,
  ],
  parse: (out) => parsePkiState(out),
};
