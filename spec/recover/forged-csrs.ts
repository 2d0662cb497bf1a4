/**
 * Test fixture for recover's step 14 (issues 4, 6 and 18): kubelet-serving-like CSRs that must never
 * be approved, created through the lab's apiserver as the requester they claim to be (a node
 * client cert signed by the cluster CA on m1), so the apiserver itself sets `spec.username`.
 * Temp files live in m1's private /tmp and are removed; nothing is written under /etc/kubernetes.
 */
import type { Lab } from '../helpers/lab.js';

/** One forged CSR: its object name, who sends it, what it asks for, and what step 14 must say. */
export interface ForgedCsr {
  name: string;
  /** The node name in the requester `system:node:NAME` (and the request's CN). */
  node: string;
  /** The request's subjectAltName, openssl syntax (`DNS:w1,IP:10.84.1.13`). */
  sans: string;
  signer: string;
  /** The refusal step 14 logs for it (`refused CSR NAME: REASON`), or undefined when step 14 never looks at it (not its signer). */
  refusal?: RegExp;
}

/** A file of m1's admin kubeconfig (the lab's kubectl witness). */
const ADMIN = ['--kubeconfig', '/etc/kubernetes/admin.conf'];

/**
 * Run on m1 with args: CSR-NAME NODE SANS SIGNER. Makes a key, a client cert `O=system:nodes,
 * CN=system:node:NODE` signed by the cluster CA (-set_serial, so no ca.srl is written next to the CA),
 * and a PKCS#10 request with the same subject and SANS, then creates the CSR object with that cert.
 */
const SCRIPT = `set -eu
name=$1 node=$2 sans=$3 signer=$4
pki=/etc/kubernetes/pki
d=$(mktemp -d /tmp/kubemend-forged-csr.XXXXXX)
trap 'rm -rf "$d"' EXIT
server=$(kubectl --kubeconfig /etc/kubernetes/admin.conf config view --minify -o 'jsonpath={.clusters[0].cluster.server}')
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/key.pem" 2>/dev/null
openssl req -new -key "$d/key.pem" -subj "/O=system:nodes/CN=system:node:$node" -addext "subjectAltName=$sans" -out "$d/request.pem"
openssl req -new -key "$d/key.pem" -subj "/O=system:nodes/CN=system:node:$node" -out "$d/client.csr"
printf 'keyUsage=critical,digitalSignature\\nextendedKeyUsage=clientAuth\\n' > "$d/ext"
openssl x509 -req -in "$d/client.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -set_serial "0x$(openssl rand -hex 8)" -days 1 -extfile "$d/ext" -out "$d/client.crt" 2>/dev/null
cat > "$d/csr.yaml" <<EOF
apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: $name
spec:
  request: $(base64 -w0 < "$d/request.pem")
  signerName: $signer
  usages: [digital signature, key encipherment, server auth]
EOF
kubectl --kubeconfig /dev/null --server "$server" --certificate-authority "$pki/ca.crt" --client-certificate "$d/client.crt" --client-key "$d/key.pem" create -f "$d/csr.yaml"
`;

/** The three forged CSRs for a lab: an unknown node, w1 with a foreign SAN, w2 with another signer. */
export function forgedCsrs(lab: Lab): ForgedCsr[] {
  const host = (n: string) => {
    const h = lab.hosts.find((x) => x.name === n);
    if (!h) throw new Error(`forged CSRs: the lab has no host ${n}`);
    return h;
  };
  const w1 = host('w1');
  const w2 = host('w2');
  const used = new Set(lab.hosts.map((h) => h.address));
  const unused = [250, 251, 252, 253].map((i) => w1.address.replace(/\.\d+$/, `.${i}`)).find((a) => !used.has(a));
  if (!unused) throw new Error('forged CSRs: no unused address next to w1');
  return [
    {
      name: 'forged-intruder',
      node: 'intruder',
      sans: `DNS:intruder,IP:${unused}`,
      signer: 'kubernetes.io/kubelet-serving',
      refusal: /refused CSR forged-intruder: requester system:node:intruder is not a node of the inventory/,
    },
    // w1 asks for what a compromised node would want: w2's address, the apiserver's service name, a wildcard, an address of nobody
    {
      name: 'forged-w1-extra-san',
      node: 'w1',
      sans: `DNS:${w1.name},IP:${w1.address},IP:${w2.address},DNS:kubernetes.default.svc,DNS:*.example.com,IP:203.0.113.7`,
      signer: 'kubernetes.io/kubelet-serving',
      refusal: new RegExp(
        `refused CSR forged-w1-extra-san: SANs refused for node w1: ${[
          `ip:${w2.address.replace(/\./g, '\\.')} belongs to host w2`,
          "dns:kubernetes\\.default\\.svc is the apiserver's service name",
          'dns:\\*\\.example\\.com is a wildcard',
          'ip:203\\.0\\.113\\.7 is not in the inventory for node w1',
        ]
          .map((r) => `(?=[^\\n]*${r})`)
          .join('')}`,
      ),
    },
    { name: 'forged-other-signer', node: 'w2', sans: `DNS:${w2.name},IP:${w2.address}`, signer: 'example.com/serving' },
  ];
}

/**
 * Create the forged CSRs on the (healthy) lab cluster through m1, each as `system:node:NODE`,
 * replacing any of the same name left by an earlier run; throws when one is not created as claimed.
 */
export async function createForgedCsrs(lab: Lab): Promise<ForgedCsr[]> {
  const all = forgedCsrs(lab);
  for (const f of all) {
    const del = await lab.exec('m1', ['kubectl', ...ADMIN, 'delete', 'csr', f.name, '--ignore-not-found']);
    if (del.code !== 0) throw new Error(`forged CSR ${f.name}: kubectl delete csr: exit ${del.code}: ${del.stderr.trim()}`);
    const r = await lab.exec('m1', ['sh', '-c', SCRIPT, 'forge-csr', f.name, f.node, f.sans, f.signer]);
    if (r.code !== 0) throw new Error(`forged CSR ${f.name}: create as system:node:${f.node} on m1: exit ${r.code}: ${r.stderr.trim()}`);
    const user = await lab.exec('m1', ['kubectl', ...ADMIN, 'get', 'csr', f.name, '-o', 'jsonpath={.spec.username}']);
    if (user.stdout.trim() !== `system:node:${f.node}`)
      throw new Error(
        `forged CSR ${f.name}: spec.username is ${JSON.stringify(user.stdout.trim())} (exit ${user.code}: ${user.stderr.trim()}), not system:node:${f.node}`,
      );
  }
  return all;
}

/** The condition types of CSR `name` (as m1's admin kubectl sees them); throws when it is gone. */
export async function csrConditions(lab: Lab, name: string): Promise<string[]> {
  const r = await lab.exec('m1', ['kubectl', ...ADMIN, 'get', 'csr', name, '-o', 'jsonpath={range .status.conditions[*]}{.type}{"\\n"}{end}']);
  if (r.code !== 0) throw new Error(`get csr ${name} on m1: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.split('\n').filter(Boolean);
}
