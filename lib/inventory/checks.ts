/** Cross-field checks zod cannot express: duplicates, masters, the one first master, files that must exist. */
import { dirname } from 'node:path';
import type { DocPath, ParsedDocument } from './document.js';
import type { InventoryIssue } from './errors.js';
import { fileProblem, resolvePath } from './paths.js';
import { shown } from './syntax.js';
import { checkServingSans } from './serving-sans.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

/** Run every cross-field check on (possibly invalid) document data; returns issues and warnings. */
export function crossCheck(file: string, absFile: string, doc: ParsedDocument): { issues: InventoryIssue[]; warnings: string[] } {
  const issues: InventoryIssue[] = [];
  const warnings: string[] = [];
  const issue = (path: DocPath, message: string): void => {
    issues.push({ file, ...doc.locate(path), message });
  };
  const where = (path: DocPath): string => {
    const p = doc.locate(path);
    return `${p.field} at line ${p.line}`;
  };
  const top = obj(doc.data) ?? {};
  const ssh = obj(top.ssh) ?? {};
  const hosts = Array.isArray(top.hosts) ? top.hosts.map(obj) : [];
  const baseDir = dirname(absFile);

  const names = new Map<string, number>();
  const endpoints = new Map<string, number>();
  const defaultPort = typeof ssh.port === 'number' ? ssh.port : 22;
  let masters = 0;
  let firstAt: number | undefined;
  hosts.forEach((h, i) => {
    if (!h) return;
    if (typeof h.name === 'string') {
      const prev = names.get(h.name);
      if (prev !== undefined) issue(['hosts', i, 'name'], `duplicate host name ${shown(h.name)} (also ${where(['hosts', prev, 'name'])})`);
      else names.set(h.name, i);
    }
    if (typeof h.address === 'string') {
      const port = typeof h.port === 'number' ? h.port : defaultPort;
      const key = `${h.address.toLowerCase()}:${port}`;
      const prev = endpoints.get(key);
      if (prev !== undefined)
        issue(['hosts', i, 'address'], `duplicate address ${shown(`${h.address} port ${port}`)} (also ${where(['hosts', prev, 'address'])})`);
      else endpoints.set(key, i);
    }
    if (h.role === 'master') masters++;
    if (h.first === true) {
      if (h.role === 'worker') issue(['hosts', i, 'first'], 'only a master can be first');
      if (firstAt !== undefined) issue(['hosts', i, 'first'], `only one host can be first (also ${where(['hosts', firstAt, 'first'])})`);
      else firstAt = i;
    }
    checkFile(h.identityFile, ['hosts', i, 'identityFile']);
    const jump = obj(h.jump);
    if (jump) checkFile(jump.identityFile, ['hosts', i, 'jump', 'identityFile']);
  });
  if (Array.isArray(top.hosts) && top.hosts.length > 0 && masters === 0)
    issue(['hosts'], doc.format === 'kubemend' ? 'no master: at least one host needs role master' : 'no master: no host in group kube_control_plane');
  const etcdGroup = doc.ansible?.hasEtcdGroup ? hosts.filter((h) => h?.etcd === true).length : undefined;
  const members = etcdGroup ?? masters;
  if (members > 0 && members % 2 === 0) {
    warnings.push(
      `${members} ${etcdGroup === undefined ? 'masters' : 'etcd members'}: an even number of etcd members tolerates no more failures than ${members - 1}; an odd number is recommended`,
    );
  }
  checkServingSans(top, issue);
  checkFile(top.kubeadmConfig, ['kubeadmConfig']);
  checkFile(ssh.identityFile, ['ssh', 'identityFile']);
  const jump = obj(ssh.jump);
  if (jump) checkFile(jump.identityFile, ['ssh', 'jump', 'identityFile']);
  return { issues, warnings };

  function checkFile(v: unknown, path: DocPath): void {
    if (typeof v !== 'string' || v === '' || v.includes('\0')) return;
    const problem = fileProblem(resolvePath(v, baseDir));
    if (problem) issue(path, problem);
  }
}
