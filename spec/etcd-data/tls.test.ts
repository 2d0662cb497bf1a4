/**
 * The throwaway etcd's TLS bundle works with the real etcd and etcdctl the way the step-0 script
 * uses it (one PEM file as cert and key, its certificates alone as the trusted CA, client certificates required): etcdctl with
 * it is served, etcdctl without a client certificate or plain HTTP is refused.
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tempDir } from '../helpers/tmp.js';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { caOnly, throwawayTlsBundle } from '../../lib/etcd-data/tls.js';

const run = promisify(execFile);
const port = () =>
  new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });

test('the bundle serves etcd over TLS with client certificates required, on 127.0.0.1', async (t) => {
  const pem = await throwawayTlsBundle();
  t.is((pem.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
  t.is((pem.match(/BEGIN PRIVATE KEY/g) ?? []).length, 1);
  const dir = tempDir('/tmp/kubemend-etcd-tls-');
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = join(dir, 'tls.pem');
  writeFileSync(f, pem, { mode: 0o600 });
  // etcd's tlsutil.NewCertPool parses every PEM block as a certificate: the CA file holds the certificates only
  const ca = join(dir, 'ca.pem');
  writeFileSync(ca, caOnly(pem));
  const [c, p] = [await port(), await port()];
  const url = `https://127.0.0.1:${c}`;
  const etcd = spawn(
    '/usr/bin/etcd',
    [
      '--name',
      't',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      url,
      '--advertise-client-urls',
      url,
      '--listen-peer-urls',
      `https://127.0.0.1:${p}`,
      '--initial-advertise-peer-urls',
      `https://127.0.0.1:${p}`,
      '--initial-cluster',
      `t=https://127.0.0.1:${p}`,
      '--cert-file',
      f,
      '--key-file',
      f,
      '--trusted-ca-file',
      ca,
      '--client-cert-auth',
      '--peer-cert-file',
      f,
      '--peer-key-file',
      f,
      '--peer-trusted-ca-file',
      ca,
      '--peer-client-cert-auth',
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  etcd.stderr?.on('data', (d) => {
    log += d;
  });
  const exited = new Promise((r) => etcd.once('exit', r));
  t.teardown(async () => {
    etcd.kill('SIGTERM');
    await exited;
  });
  const ctl = (...a: string[]) => run('/usr/bin/etcdctl', ['--endpoints', url, '--command-timeout=3s', ...a], { env: { ...process.env, ETCDCTL_API: '3' } });
  let ok = false;
  for (let i = 0; i < 50 && !ok; i++) {
    ok = await ctl('--cacert', ca, '--cert', f, '--key', f, 'endpoint', 'health').then(
      () => true,
      () => false,
    );
    if (!ok) await new Promise((r) => setTimeout(r, 200));
  }
  const last = await ctl('--cacert', ca, '--cert', f, '--key', f, 'endpoint', 'health').then(
    () => '',
    (e) => String(e.stderr ?? e),
  );
  t.true(ok, `etcdctl with the bundle is served: ${last} ${log.slice(-1500)}`);
  await t.throwsAsync(ctl('--cacert', ca, 'endpoint', 'health'), undefined, 'no client certificate: refused');
  await t.throwsAsync(
    run('/usr/bin/etcdctl', ['--endpoints', `http://127.0.0.1:${c}`, '--command-timeout=3s', 'endpoint', 'health'], {
      env: { ...process.env, ETCDCTL_API: '3' },
    }),
    undefined,
    'plain HTTP: refused',
  );
});
