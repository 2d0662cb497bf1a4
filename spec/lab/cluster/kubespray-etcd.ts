/**
 * The kubespray layout's etcd, as kubespray's roles/etcd deploys it with `etcd_deployment_type:
 * host` (its default, roles/kubespray_defaults/defaults/main/main.yml; kubernetes-sigs/kubespray
 * commit 46dbdd39):
 * - certificates made on the first etcd host by make-ssl-etcd.sh (roles/etcd/templates/
 *   make-ssl-etcd.sh.j2 with openssl.conf.j2) in /etc/ssl/etcd/ssl (etcd_cert_dir): ca.pem and
 *   ca-key.pem (CN etcd-ca), member-HOST.pem / admin-HOST.pem for each etcd host (CN
 *   etcd-member-HOST, etcd-admin-HOST), node-HOST.pem for each control-plane host (CN
 *   etcd-node-HOST), keys as NAME-key.pem, 2048-bit RSA, 36500 days, every one with the SANs of
 *   openssl.conf's [alt_names]; then copied (gen_certs_script.yml): to the other etcd hosts the
 *   CA, every member/admin pair and the masters' node pairs, to a master that runs no etcd its
 *   ca.pem and node pair (gen_nodes_certs_script.yml); on each master the other masters'
 *   node-OTHER.pem names are links to its own node pair ("Pretend all control plane have all certs");
 * - /etc/etcd.env (templates/etcd.env.j2) and /etc/systemd/system/etcd.service (etcd-host.service.j2:
 *   `EnvironmentFile=/etc/etcd.env`, `ExecStart=/usr/local/bin/etcd`, `Restart=always`);
 * - etcd, etcdctl (roles/etcdctl_etcdutl) and the etcdctl.sh wrapper in /usr/local/bin (bin_dir);
 *   the lab links the machine's etcd and etcdctl there.
 */
import type { Host, LabDir } from './labdir.js';
import { sshOk, sshScript } from './ssh.js';

/** kubespray's etcd_cert_dir. */
export const ETCD_CERT_DIR = '/etc/ssl/etcd/ssl';

/** etcd_member_name's default: `etcd` + the host's 1-based place in the etcd group. */
export function memberName(lab: LabDir, h: Host): string {
  return `etcd${lab.etcdMembers.findIndex((x) => x.name === h.name) + 1}`;
}

/** openssl.conf.j2 rendered for the etcd group (etcd_cert_alt_names with dns_domain cluster.local). */
export function opensslConf(lab: LabDir): string {
  const dns = ['localhost', ...lab.etcdMembers.map((h) => h.name), 'etcd.kube-system.svc.cluster.local', 'etcd.kube-system.svc', 'etcd.kube-system', 'etcd'];
  // main_access_ips and main_ips of every etcd host (both its address in the lab), then 127.0.0.1 and ::1
  const ips = [...lab.etcdMembers.flatMap((h) => [h.address, h.address]), '127.0.0.1', '::1'];
  return `[req]
req_extensions = v3_req
distinguished_name = req_distinguished_name

[req_distinguished_name]

[ v3_req ]
basicConstraints = CA:FALSE
keyUsage = nonRepudiation, digitalSignature, keyEncipherment
subjectAltName = @alt_names

[ ssl_client ]
extendedKeyUsage = clientAuth, serverAuth
basicConstraints = CA:FALSE
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
subjectAltName = @alt_names

[ v3_ca ]
basicConstraints = CA:TRUE
keyUsage = nonRepudiation, digitalSignature, keyEncipherment
subjectAltName = @alt_names
authorityKeyIdentifier=keyid:always,issuer

[alt_names]
${dns.map((d, i) => `DNS.${i + 1} = ${d}`).join('\n')}
${ips.map((a, i) => `IP.${i + 1} = ${a}`).join('\n')}
`;
}

/** make-ssl-etcd.sh (certificates_key_size 2048, certificates_duration 36500), run with MASTERS and HOSTS in the environment. */
const MAKE_SSL_ETCD = `set -o errexit -o pipefail
CONFIG=/etc/ssl/etcd/openssl.conf SSLDIR=${ETCD_CERT_DIR}
tmpdir=$(mktemp -d /tmp/etcd_cacert.XXXXXX); trap 'rm -rf "$tmpdir"' EXIT; cd "$tmpdir"
mkdir -p "$SSLDIR"
if [ -e "$SSLDIR/ca-key.pem" ]; then cp $SSLDIR/{ca.pem,ca-key.pem} .
else
  openssl genrsa -out ca-key.pem 2048 2>/dev/null
  openssl req -x509 -new -nodes -key ca-key.pem -days 36500 -out ca.pem -subj "/CN=etcd-ca"
fi
for host in $MASTERS; do
  cn="\${host%%.*}"
  openssl genrsa -out member-\${host}-key.pem 2048 2>/dev/null
  openssl req -new -key member-\${host}-key.pem -out member-\${host}.csr -subj "/CN=etcd-member-\${cn}" -config \${CONFIG}
  openssl x509 -req -in member-\${host}.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out member-\${host}.pem -days 36500 -extensions ssl_client -extfile \${CONFIG} 2>/dev/null
  openssl genrsa -out admin-\${host}-key.pem 2048 2>/dev/null
  openssl req -new -key admin-\${host}-key.pem -out admin-\${host}.csr -subj "/CN=etcd-admin-\${cn}"
  openssl x509 -req -in admin-\${host}.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out admin-\${host}.pem -days 36500 -extensions ssl_client -extfile \${CONFIG} 2>/dev/null
done
for host in $HOSTS; do
  cn="\${host%%.*}"
  openssl genrsa -out node-\${host}-key.pem 2048 2>/dev/null
  openssl req -new -key node-\${host}-key.pem -out node-\${host}.csr -subj "/CN=etcd-node-\${cn}"
  openssl x509 -req -in node-\${host}.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out node-\${host}.pem -days 36500 -extensions ssl_client -extfile \${CONFIG} 2>/dev/null
done
if [ -e "$SSLDIR/ca-key.pem" ]; then rm -f ca.pem ca-key.pem; fi
mv *.pem \${SSLDIR}/
chmod 0640 \${SSLDIR}/*.pem
`;

/** The etcd.env.j2 of one etcd host (etcd 3.4's flags as environment). */
export function etcdEnv(lab: LabDir, h: Host, state: 'new' | 'existing'): string {
  const a = h.address;
  const cluster = lab.etcdMembers.map((m) => `${memberName(lab, m)}=https://${m.address}:2380`).join(',');
  return `# Environment file for etcd (kubespray roles/etcd/templates/etcd.env.j2, as the kubemend lab renders it)
ETCD_DATA_DIR=/var/lib/etcd
ETCD_ADVERTISE_CLIENT_URLS=https://${a}:2379
ETCD_INITIAL_ADVERTISE_PEER_URLS=https://${a}:2380
ETCD_INITIAL_CLUSTER_STATE=${state}
ETCD_METRICS=basic
ETCD_LISTEN_CLIENT_URLS=https://${a}:2379,https://127.0.0.1:2379
ETCD_ELECTION_TIMEOUT=5000
ETCD_HEARTBEAT_INTERVAL=250
ETCD_INITIAL_CLUSTER_TOKEN=k8s_etcd
ETCD_LISTEN_PEER_URLS=https://${a}:2380
ETCD_NAME=${memberName(lab, h)}
ETCD_PROXY=off
ETCD_INITIAL_CLUSTER=${cluster}
ETCD_AUTO_COMPACTION_RETENTION=8
ETCD_SNAPSHOT_COUNT=100000
ETCD_QUOTA_BACKEND_BYTES=2147483648
ETCD_MAX_REQUEST_BYTES=1572864
ETCD_LOG_LEVEL=info
ETCD_MAX_SNAPSHOTS=5
ETCD_MAX_WALS=5

# TLS settings
ETCD_TRUSTED_CA_FILE=${ETCD_CERT_DIR}/ca.pem
ETCD_CERT_FILE=${ETCD_CERT_DIR}/member-${h.name}.pem
ETCD_KEY_FILE=${ETCD_CERT_DIR}/member-${h.name}-key.pem
ETCD_CLIENT_CERT_AUTH=true

ETCD_PEER_TRUSTED_CA_FILE=${ETCD_CERT_DIR}/ca.pem
ETCD_PEER_CERT_FILE=${ETCD_CERT_DIR}/member-${h.name}.pem
ETCD_PEER_KEY_FILE=${ETCD_CERT_DIR}/member-${h.name}-key.pem
ETCD_PEER_CLIENT_CERT_AUTH=True

# CLI settings
ETCDCTL_ENDPOINTS=https://127.0.0.1:2379
ETCDCTL_CACERT=${ETCD_CERT_DIR}/ca.pem
ETCDCTL_KEY=${ETCD_CERT_DIR}/admin-${h.name}-key.pem
ETCDCTL_CERT=${ETCD_CERT_DIR}/admin-${h.name}.pem
`;
}

/** etcd-host.service.j2 (bin_dir /usr/local/bin). */
export const ETCD_UNIT = `[Unit]
Description=etcd
After=network.target

[Service]
Type=notify
User=root
EnvironmentFile=/etc/etcd.env
ExecStart=/usr/local/bin/etcd
NotifyAccess=all
Restart=always
RestartSec=10s
LimitNOFILE=40000

[Install]
WantedBy=multi-user.target
`;

/** etcdctl.sh.j2 for a host deployment. */
function etcdctlSh(h: Host): string {
  return `#!/bin/bash
# example invocation: etcdctl.sh get --keys-only --from-key ""

etcdctl \\
  --cacert ${ETCD_CERT_DIR}/ca.pem \\
  --cert ${ETCD_CERT_DIR}/admin-${h.name}.pem \\
  --key ${ETCD_CERT_DIR}/admin-${h.name}-key.pem "$@"
`;
}

/** Files of ETCD_CERT_DIR as a base64 tarball read on `from` (kubespray's slurp), written on `to` (its copy). */
async function copyCerts(lab: LabDir, from: Host, to: Host, files: string[]): Promise<void> {
  const tgz = await sshOk(lab, from, `read etcd certs for ${to.name}`, [
    'sh',
    '-c',
    'cd "$1" && shift && tar czf - "$@" | base64 -w0',
    'sh',
    ETCD_CERT_DIR,
    ...files,
  ]);
  await sshOk(lab, to, 'write etcd certs', ['sh', '-c', 'umask 027; mkdir -p -m 0700 "$1" && base64 -d | tar xzf - -C "$1"', 'sh', ETCD_CERT_DIR], {
    input: tgz.trim(),
  });
}

/** Every etcd certificate where kubespray puts it. */
export async function makeEtcdCerts(lab: LabDir): Promise<void> {
  const [first, ...others] = lab.etcdMembers;
  const masters = lab.masters.map((m) => m.name);
  await sshScript(lab, first, 'etcd openssl.conf', `mkdir -p -m 0700 ${ETCD_CERT_DIR}\ncat > /etc/ssl/etcd/openssl.conf <<'EOF'\n${opensslConf(lab)}EOF\n`);
  await sshOk(lab, first, 'make-ssl-etcd.sh', [
    'env',
    `MASTERS=${lab.etcdMembers.map((h) => h.name).join(' ')}`,
    `HOSTS=${masters.join(' ')}`,
    'bash',
    '-c',
    MAKE_SSL_ETCD,
  ]);
  const pair = (n: string) => [`${n}.pem`, `${n}-key.pem`];
  const forEtcd = [
    'ca.pem',
    'ca-key.pem',
    ...lab.etcdMembers.flatMap((h) => [...pair(`admin-${h.name}`), ...pair(`member-${h.name}`)]),
    ...masters.flatMap((m) => pair(`node-${m}`)),
  ];
  for (const h of others) await copyCerts(lab, first, h, forEtcd);
  for (const m of lab.masters.filter((x) => !lab.layout.etcd.includes(x.name))) await copyCerts(lab, first, m, ['ca.pem', ...pair(`node-${m.name}`)]);
  // on every master, node-OTHER(-key).pem -> node-SELF(-key).pem where OTHER's file is not there already
  await Promise.all(
    lab.masters.map((m) =>
      sshScript(
        lab,
        m,
        'node cert links',
        lab.masters
          .filter((o) => o.name !== m.name)
          .map((o) =>
            ['', '-key']
              .map(
                (sfx) =>
                  `[ -e ${ETCD_CERT_DIR}/node-${o.name}${sfx}.pem ] || ln -s ${ETCD_CERT_DIR}/node-${m.name}${sfx}.pem ${ETCD_CERT_DIR}/node-${o.name}${sfx}.pem`,
              )
              .join('\n'),
          )
          .join('\n') + '\n',
      ),
    ),
  );
}

/** etcd installed and started on every etcd host (env, unit, binaries), then the cluster healthy. */
export async function startEtcd(lab: LabDir): Promise<void> {
  await Promise.all(
    lab.etcdMembers.map((h) =>
      sshScript(
        lab,
        h,
        'install etcd',
        `ln -sf /opt/lab/machine-usr/bin/etcd /usr/local/bin/etcd
ln -sf /opt/lab/machine-usr/bin/etcdctl /usr/local/bin/etcdctl
cat > /usr/local/bin/etcdctl.sh <<'EOF'
${etcdctlSh(h)}EOF
chmod 0755 /usr/local/bin/etcdctl.sh
cat > /etc/etcd.env <<'EOF'
${etcdEnv(lab, h, 'new')}EOF
chmod 0640 /etc/etcd.env
mkdir -p -m 0700 /var/lib/etcd
cat > /etc/systemd/system/etcd.service <<'EOF'
${ETCD_UNIT}EOF
systemctl daemon-reload
systemctl enable etcd
systemctl start etcd
`,
      ),
    ),
  );
  await waitEtcdHealthy(lab, lab.etcdMembers[0], 120_000);
  // configure.yml's refresh_config: once the cluster is assembled, its state is `existing`
  await Promise.all(
    lab.etcdMembers.map((h) =>
      sshScript(lab, h, 'etcd.env existing', `sed -i 's/^ETCD_INITIAL_CLUSTER_STATE=new$/ETCD_INITIAL_CLUSTER_STATE=existing/' /etc/etcd.env\n`),
    ),
  );
}

/** kubespray's wait (configure.yml "Wait for etcd cluster to be healthy"): etcdctl endpoint health on `h` with its admin cert. */
export async function waitEtcdHealthy(lab: LabDir, h: Host, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const out = await sshOk(lab, h, 'etcdctl endpoint health', [
        'sh',
        '-c',
        `ETCDCTL_API=3 etcdctl --endpoints=${lab.etcdMembers.map((m) => `https://${m.address}:2379`).join(',')} --cacert=${ETCD_CERT_DIR}/ca.pem --cert=${ETCD_CERT_DIR}/admin-${h.name}.pem --key=${ETCD_CERT_DIR}/admin-${h.name}-key.pem --dial-timeout=3s --command-timeout=5s endpoint health 2>&1`,
      ]);
      if ((out.match(/is healthy/g) ?? []).length === lab.etcdMembers.length) return;
      last = out.trim();
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`etcd did not become healthy on ${lab.etcdMembers.map((m) => m.name).join(', ')}: ${last}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}
