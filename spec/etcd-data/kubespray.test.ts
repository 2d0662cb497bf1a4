/**
 * kubespray's etcd asked with kubespray's own tools (lib/etcd-data/kubespray.ts): the script runs
 * here against a real etcd (Debian's, 127.0.0.1) with a real etcdctl, an etcd.env written as
 * kubespray's etcd.env.j2 writes its "# CLI settings", and a throwaway certificate for the TLS
 * flags; only the file's path differs from a host's /etc/etcd.env.
 */
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { HostContext } from '../../lib/core/types.js';
import { KUBEADM_CONFIG_KEY, KUBELET_CONFIG_KEY } from '../../lib/etcd-data/configmaps.js';
import { ETCD_ENV, KUBESPRAY_ETCDCTL, kubesprayEtcdHealth, kubesprayEtcdMembers, readThroughKubesprayEtcd } from '../../lib/etcd-data/kubespray.js';
import { summarizeConfig } from '../../lib/doctor/gather.js';
import { startEtcd } from './real-etcd.js';
import { KUBELET_CONFIGURATION, clusterConfigurationText, jsonConfigMap, protoConfigMap } from './proto-fixture.js';

const run = promisify(execFile);

/** A host context whose read runs argv here, with /etc/etcd.env replaced by `env`. */
function localHost(env: string): HostContext & { argvs: string[][] } {
  const argvs: string[][] = [];
  return {
    host: { name: 'm1', role: 'master' },
    argvs,
    async read(argv: readonly string[], opts?: { allowFail?: boolean }) {
      const a = argv.map((x) => x.replaceAll(ETCD_ENV, env));
      argvs.push([...argv]);
      try {
        const r = await run(a[0]!, a.slice(1), { encoding: 'utf8' });
        return { command: a.join(' '), exitCode: 0, stdout: r.stdout, stderr: r.stderr, durationMs: 0 };
      } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        if (!opts?.allowFail) throw e;
        return { command: a.join(' '), exitCode: err.code ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '', durationMs: 0 };
      }
    },
  } as unknown as HostContext & { argvs: string[][] };
}

/** etcd.env's CLI settings (etcd.env.j2) for an etcd at `client`, with a throwaway certificate as CA, cert and key. */
function etcdEnv(dir: string, client: string, drop?: string): string {
  const cert = join(dir, 'c.pem');
  const key = join(dir, 'k.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-subj',
      '/CN=etcd-admin-m1',
      '-days',
      '1',
    ],
    { stdio: 'ignore' },
  );
  const lines = [
    `ETCD_DATA_DIR=/var/lib/etcd`,
    '',
    '# CLI settings',
    `ETCDCTL_ENDPOINTS=${client}`,
    `ETCDCTL_CACERT=${cert}`,
    `ETCDCTL_KEY=${key}`,
    `ETCDCTL_CERT=${cert}`,
  ].filter((l) => !drop || !l.startsWith(drop + '='));
  const f = join(dir, 'etcd.env');
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

test("kubespray's etcd: health, members and the kubeadm-config / kubelet-config ConfigMaps read through the running etcd with etcd.env's client settings (read-only)", async (t) => {
  const etcd = await startEtcd('etcd1');
  t.teardown(() => etcd.remove());
  try {
    const cc = clusterConfigurationText('v1beta4', '10.0.1.1:6443').trimEnd() + '\ncertificatesDir: /etc/kubernetes/ssl\n';
    await etcd.put(KUBEADM_CONFIG_KEY, jsonConfigMap('kube-system', 'kubeadm-config', { ClusterConfiguration: cc }));
    await etcd.put(KUBELET_CONFIG_KEY, protoConfigMap('kube-system', 'kubelet-config', { kubelet: KUBELET_CONFIGURATION }));
    const dir = tempDir(join(tmpdir(), 'km-spray-etcd-'));
    const h = localHost(etcdEnv(dir, etcd.client));

    const r = await readThroughKubesprayEtcd(h);
    t.is(r.config.clusterConfiguration, cc);
    t.is(r.config.kubeletConfiguration, KUBELET_CONFIGURATION);
    t.true(r.revision >= 2);
    t.regex(r.how, /^kubespray's etcd service on m1, read with its etcdctl and the client certificate \/etc\/etcd.env names$/);
    t.regex(summarizeConfig(r.config.clusterConfiguration), /^controlPlaneEndpoint 10\.0\.1\.1:6443, certificatesDir \/etc\/kubernetes\/ssl, /);

    t.deepEqual(await kubesprayEtcdHealth(h), { healthy: [etcd.client], unhealthy: [] });
    const members = await kubesprayEtcdMembers(h);
    t.is(members.length, 1);
    t.is(members[0]!.name, 'etcd1');
    t.regex(members[0]!.id, /^[0-9a-f]+$/);
    t.true(
      h.argvs.every((a) => !/\b(put|del|compact|defrag|member (add|remove))\b/.test(a.join(' '))),
      'only reads',
    );
  } finally {
    await etcd.stop();
  }
});

test("without kubespray's files the read fails saying what is missing, and never answers with a guess", async (t) => {
  const dir = tempDir(join(tmpdir(), 'km-spray-etcd-'));
  const noEnv = localHost(join(dir, 'absent.env'));
  await t.throwsAsync(readThroughKubesprayEtcd(noEnv), {
    message: /^m1: etcdctl get with kubespray's \/etc\/etcd.env settings: exit 9: no .*absent.env \(kubespray's etcd settings\) on this host/,
  });
  const noCert = localHost(etcdEnv(dir, 'https://127.0.0.1:1', 'ETCDCTL_CERT'));
  await t.throwsAsync(readThroughKubesprayEtcd(noCert), { message: /sets no ETCDCTL_CERT/ });
  t.deepEqual(await kubesprayEtcdHealth(noCert), { healthy: [], unhealthy: [] }, 'no health claimed');
  t.regex(KUBESPRAY_ETCDCTL, /\/usr\/local\/bin\/etcdctl/, "kubespray's bin_dir first");
});
