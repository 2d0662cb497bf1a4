/** Common read-only facts (pyinfra style: a command and a parser), cached per host per run. */
import type { Fact } from './types.js';

/** The host's name as the host reports it. */
export const hostname: Fact<string> = {
  id: 'hostname',
  argv: ['hostname'],
  parse: (out) => out.trim(),
};

/** Whether a systemd unit is active (`systemctl is-active`). */
export function serviceActive(unit: string): Fact<boolean> {
  return { id: `service-active:${unit}`, argv: ['systemctl', 'is-active', unit], parse: (out, code) => code === 0 && out.trim() === 'active' };
}

/** Whether a path exists (any type). */
export function pathExists(path: string): Fact<boolean> {
  return { id: `exists:${path}`, argv: ['test', '-e', path], parse: (_out, code) => code === 0 };
}

/** The sha256 of a file, or null when it does not exist. */
export function fileSha256(path: string): Fact<string | null> {
  return {
    id: `sha256:${path}`,
    argv: ['sh', '-c', 'if [ -f "$1" ]; then sha256sum "$1"; fi', 'sh', path],
    parse: (out, code) => {
      if (code !== 0) throw new Error(`sha256sum ${path}: exit ${code}`);
      const m = /^([0-9a-f]{64})\s/.exec(out.trim());
      return m ? m[1] : null;
    },
  };
}

/** The SHA-256 fingerprint of a PEM certificate (`AB:CD:...`), or null when the file does not exist. */
export function certFingerprint(path: string): Fact<string | null> {
  return {
    id: `cert-fingerprint:${path}`,
    argv: ['sh', '-c', 'if [ -f "$1" ]; then openssl x509 -noout -fingerprint -sha256 -in "$1"; fi', 'sh', path],
    parse: (out, code) => {
      if (code !== 0) throw new Error(`openssl x509 -fingerprint ${path}: exit ${code}`);
      const m = /Fingerprint=([0-9A-F:]+)/i.exec(out);
      return m ? m[1].toUpperCase() : null;
    },
  };
}
