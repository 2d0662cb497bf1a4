/**
 * kubemend's reader against the reference, ansible-inventory --list: every var of every host (not
 * only the ones kubemend uses) and every group's members must be the same, on the committed
 * kubespray fixtures and on random INI inventories with group_vars/ and host_vars/ (fast-check).
 * Needs ansible-core: skipped without it, failed without it under CI=true.
 */
import fc from 'fast-check';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { KUBESPRAY, KUBESPRAY_ETCD, bothAnswers, requireAnsible, withAnsible } from './helpers-ansible.js';

withAnsible('the kubespray sample layout: every var of every host and every group as ansible-inventory gives them', async (t) => {
  const bin = requireAnsible(t);
  const a = await bothAnswers(bin, join(KUBESPRAY, 'inventory.ini'));
  t.deepEqual(a.issues, []);
  t.deepEqual(a.ours, a.theirs);
  t.is((a.ours.hostvars as Record<string, Record<string, unknown>>).node04!.ansible_port, 22, 'group_vars/all beats [kube_node:vars]');
});

withAnsible('the kubespray etcd example (hosts.yaml): every var and group as ansible-inventory gives them', async (t) => {
  const bin = requireAnsible(t);
  const a = await bothAnswers(bin, join(KUBESPRAY_ETCD, 'hosts.yaml'));
  t.deepEqual(a.issues, []);
  t.deepEqual(a.ours, a.theirs);
});

const GROUPS = ['kube_control_plane', 'kube_node', 'etcd', 'g1', 'g2', 'calico_rr', 'kube-node'];
const HOSTS = ['n1', 'n2', 'web01', 'db-a', 'r[01:05:2]', 'x[a:e:2]', 'h[1:2]:2201'];
const KEYS = ['ansible_user', 'ansible_port', 'x', 'y', 'node_labels'];
const iniValues = fc.constantFrom('1', '2222', 'abc', "'quoted value'", '"dq"', 'True', '[1, 2]', '{"pool": "gpu"}', '0022', '10.0.0.1', 'x#y');
const yamlValues = fc.oneof(
  fc.integer({ min: 0, max: 3000 }),
  fc.constantFrom('a', 'b c', 'yes', 'no', 'on', '0777', '1.5', null, '~', '{{ x }}'),
  fc.boolean(),
);

/** A random INI inventory plus vars files (paths -> content). */
const inventories = fc
  .record({
    sections: fc.array(
      fc.record({
        group: fc.constantFrom(...GROUPS),
        hosts: fc.array(fc.record({ pattern: fc.constantFrom(...HOSTS), vars: fc.array(fc.tuple(fc.constantFrom(...KEYS), iniValues), { maxLength: 2 }) }), {
          maxLength: 3,
        }),
        vars: fc.array(fc.tuple(fc.constantFrom(...KEYS, 'ansible_group_priority'), iniValues), { maxLength: 2 }),
        children: fc.array(fc.constantFrom(...GROUPS), { maxLength: 2 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    ungrouped: fc.array(fc.tuple(fc.constantFrom(...HOSTS), fc.array(fc.tuple(fc.constantFrom(...KEYS), iniValues), { maxLength: 2 })), { maxLength: 2 }),
    groupVars: fc.array(
      fc.record({
        name: fc.constantFrom('all', 'k8s_cluster', 'ungrouped', ...GROUPS),
        asDir: fc.boolean(),
        ext: fc.constantFrom('.yml', '.yaml', '.json', ''),
        vars: fc.dictionary(fc.constantFrom(...KEYS), yamlValues, { maxKeys: 3 }),
      }),
      { maxLength: 4 },
    ),
    hostVars: fc.array(
      fc.record({ name: fc.constantFrom('n1', 'n2', 'web01', 'r03', 'xc'), vars: fc.dictionary(fc.constantFrom(...KEYS), yamlValues, { maxKeys: 2 }) }),
      { maxLength: 2 },
    ),
  })
  .map((g) => {
    const lines: string[] = [];
    for (const [p, vs] of g.ungrouped) lines.push([p, ...vs.map(([k, v]) => `${k}=${v}`)].join(' '));
    const declared = new Set(g.sections.map((s) => s.group));
    g.sections.forEach((s, i) => {
      lines.push(`[${s.group}]`, ...s.hosts.map((h) => [h.pattern, ...h.vars.map(([k, v]) => `${k}=${v}`)].join(' ')));
      if (s.vars.length) lines.push(`[${s.group}:vars]`, ...s.vars.map(([k, v]) => `${k}=${k === 'ansible_group_priority' ? (v.length % 5) + 1 : v}`));
      // children only towards groups later in the list: no loops
      const later = new Set(g.sections.slice(i + 1).map((x) => x.group));
      const kids = [...new Set(s.children)].filter((c) => later.has(c) && c !== s.group && declared.has(c));
      if (kids.length) lines.push(`[${s.group}:children]`, ...kids);
    });
    const files: Record<string, string> = { 'inventory.ini': lines.join('\n') + '\n' };
    g.groupVars.forEach((v, i) => {
      const body = v.ext === '.json' ? JSON.stringify(v.vars) : stringify(v.vars, { version: '1.1' });
      files[v.asDir ? `group_vars/${v.name}/f${i}${v.ext}` : `group_vars/${v.name}${v.ext}`] = body;
    });
    for (const v of g.hostVars) files[`host_vars/${v.name}.yml`] = stringify(v.vars, { version: '1.1' });
    return files;
  });

withAnsible('random INI inventories with group_vars/ and host_vars/: kubemend reads them as ansible-inventory does', async (t) => {
  const bin = requireAnsible(t);
  const runs = Number(process.env.FC_RUNS ?? 1) * 25;
  await fc.assert(
    fc.asyncProperty(inventories, async (files) => {
      const dir = tempDir(join(tmpdir(), 'kubemend-diff-'));
      try {
        for (const [p, c] of Object.entries(files)) {
          try {
            mkdirSync(dirname(join(dir, p)), { recursive: true });
            writeFileSync(join(dir, p), c);
          } catch {
            /* a file and a folder of the same name: the first one written stays */
          }
        }
        const a = await bothAnswers(bin, join(dir, 'inventory.ini'));
        if (a.issues.length) return true; // refused by kubemend (Ansible refuses the same inventories: checked by the broken corpus)
        if (JSON.stringify(a.ours) !== JSON.stringify(a.theirs))
          throw new Error(`differs for\n${JSON.stringify(files, null, 1)}\nours   ${JSON.stringify(a.ours)}\ntheirs ${JSON.stringify(a.theirs)}`);
        return true;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: runs },
  );
  t.pass();
});
