/** The doctor's text output: per host certificates (expiry, days left, CA), kubelet, Node; then the diagnosis. */
import { daysLeft } from './diagnose.js';
import type { ClusterFacts, Diagnosis } from './types.js';

/** Text report for people. */
export function formatDoctor(f: ClusterFacts, d: Diagnosis): string {
  const lines: string[] = [];
  for (const h of f.hosts) {
    const node =
      f.api === 'unreachable' ? 'API unreachable' : h.node === null ? 'unknown' : h.node === 'absent' ? 'no Node' : h.node.ready ? 'Ready' : 'NotReady';
    lines.push(
      `${h.name} (${h.role}): ${h.error ? `could not be read: ${h.error}` : `kubelet ${h.kubelet ? 'active' : 'inactive'}, Node ${node}, CA ${h.pki?.ca ?? 'absent'}`}`,
    );
    for (const x of h.files)
      lines.push(`  ${x.path}  ${x.expires ?? '-'}  ${x.expires ? `${daysLeft(x.expires, f.now)}d` : '-'}  ${x.chain === 'ok' ? x.ca : x.chain}`);
  }
  lines.push(`etcd: ${f.etcd ? `${f.etcd.healthy.length} healthy, ${f.etcd.unhealthy.length} unhealthy` : 'health unknown'}`);
  for (const e of f.etcdData ?? []) {
    if (e.config) lines.push(`etcd data on ${e.host}: read through ${e.reader}, revision ${e.config.revision}: ${e.config.summary}`);
    else if (e.dbBytes === undefined && e.reader) lines.push(`etcd data on ${e.host}: ${e.reader}`);
    else lines.push(`etcd data on ${e.host}: ${e.dbBytes === undefined ? 'none' : `${(e.dbBytes / 1048576).toFixed(1)} MiB, readable by ${e.reader}`}`);
  }
  if (d.unreachable?.length) lines.push('', `could not reach: ${d.unreachable.join(', ')}`);
  lines.push('', d.healthy ? 'healthy' : `problems found (${d.state}):`);
  for (const x of d.findings) lines.push(`  ${x.severity}: ${x.message}`);
  for (const r of d.recommendations) lines.push(`run: ${r.command}`);
  return lines.join('\n');
}
