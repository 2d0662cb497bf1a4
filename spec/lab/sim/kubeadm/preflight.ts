/** kubeadm's preflight checks that matter in the lab: files and folders that must not exist yet. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { p, paths } from '../paths.js';
import type { Config } from './config.js';
import { displayPath } from './kubeconfig.js';
import { say } from './out.js';

interface Check {
  name: string;
  error?: string;
}

function fileAvailable(path: string): Check {
  const shown = displayPath(path);
  return { name: `FileAvailable-${shown.replace(/[/.]/g, (m) => (m === '/' ? '-' : '.'))}`, error: existsSync(path) ? `${shown} already exists` : undefined };
}

function dirAvailable(path: string): Check {
  const shown = displayPath(path);
  const nonEmpty = existsSync(path) && readdirSync(path).length > 0;
  return { name: `DirAvailable-${shown.replace(/\//g, '-')}`, error: nonEmpty ? `${shown} is not empty` : undefined };
}

/** Evaluate checks: ignored failures print warnings, the rest fail with kubeadm's message. */
function evaluate(checks: Check[], ignore: string[]): void {
  say('[preflight] Running pre-flight checks');
  const all = ignore.includes('all');
  const errors: string[] = [];
  for (const ch of checks) {
    if (!ch.error) continue;
    if (all || ignore.includes(ch.name.toLowerCase())) process.stderr.write(`\t[WARNING ${ch.name}]: ${ch.error}\n`);
    else errors.push(`\t[ERROR ${ch.name}]: ${ch.error}`);
  }
  if (errors.length) {
    throw new Error(
      `[preflight] Some fatal errors occurred:\n${errors.join('\n')}\n[preflight] If you know what you are doing, you can make a check non-fatal with \`--ignore-preflight-errors=...\``,
    );
  }
}

/**
 * ExternalEtcdVersion (cmd/kubeadm/app/preflight/checks.go ExternalEtcdVersionCheck.configCertAndKey):
 * the CA and the client pair the config names must load. (The real check then asks each endpoint's
 * /version; the lab does not.)
 */
function externalEtcdFiles(c: Config): Check {
  const ext = c.cluster.etcd.external!;
  const missing = (f: string) => !existsSync(p(f));
  let error: string | undefined;
  if (ext.caFile && missing(ext.caFile))
    error = `couldn't load external etcd's server certificate ${ext.caFile}: open ${ext.caFile}: no such file or directory`;
  else if (ext.certFile && ext.keyFile && (missing(ext.certFile) || missing(ext.keyFile))) {
    const f = missing(ext.certFile) ? ext.certFile : ext.keyFile;
    error = `couldn't load external etcd's certificate and key pair ${ext.certFile}, ${ext.keyFile}: open ${f}: no such file or directory`;
  }
  return { name: 'ExternalEtcdVersion', error };
}

/** `init` preflight (with etcd.external: no etcd manifest or data dir checks, its files instead; RunInitNodeChecks). */
export function initPreflight(c: Config): void {
  const m = (f: string) => join(paths.manifests, f);
  const etcd = c.cluster.etcd.external ? [externalEtcdFiles(c)] : [fileAvailable(m('etcd.yaml')), dirAvailable(paths.etcdData)];
  evaluate(
    [fileAvailable(m('kube-apiserver.yaml')), fileAvailable(m('kube-controller-manager.yaml')), fileAvailable(m('kube-scheduler.yaml')), ...etcd],
    c.ignorePreflightErrors,
  );
}

/** `join` preflight (worker, or control plane). */
export function joinPreflight(c: Config): void {
  const checks = [fileAvailable(paths.kubeletConf), fileAvailable(paths.bootstrapKubeletConf), fileAvailable(c.caCertPath)];
  if (c.controlPlane) {
    checks.push(dirAvailable(paths.manifests));
  }
  evaluate(checks, c.ignorePreflightErrors);
}
