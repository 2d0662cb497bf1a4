#!/usr/bin/env bash
# The article's repair of a `pki-wipe`d lab cluster, by hand: plain ssh + kubeadm + kubectl, no
# kubemend, with the corrections of /work/shared/docs/recovery-procedure.md (numbers = its steps):
# control-plane containers only; controller-manager kept running; token secrets blanked, not
# deleted; the cluster's own ClusterConfiguration via --config; other masters joined with
# control-plane-prepare/control-plane-join; master kubelets re-bootstrapped; workers rejoined;
# pods holding old tokens restarted.
#
#   spec/lab/solve-by-hand.sh DIR        (DIR = the lab folder of `scripts/lab up`)
#   SOLVE_WORKERS_AT_ONCE=1 spec/lab/solve-by-hand.sh DIR   (workers one by one; default 5 at a time)
#   SOLVE_PARALLEL_SSH=1 SOLVE_WORKERS_AT_ONCE=10 spec/lab/solve-by-hand.sh DIR   (each batch of workers with one parallel-ssh)
set -euo pipefail
DIR=$(realpath "${1:?usage: solve-by-hand.sh DIR}")
[ -f "$DIR/hosts.json" ] && [ -f "$DIR/kubeadm-config.yaml" ] || { echo "solve-by-hand: $DIR is not a lab cluster folder" >&2; exit 1; }
PORT=$(sed -n 's/^LAB_PORT=//p' "$DIR/lab.env"); PORT=${PORT:-22}
SSH=(ssh -i "$DIR/id_ed25519" -o "UserKnownHostsFile=$DIR/known_hosts" -o StrictHostKeyChecking=yes -o BatchMode=yes
     -o IdentitiesOnly=yes -o KexAlgorithms=curve25519-sha256 -o LogLevel=ERROR -p "$PORT")
export KUBECONFIG=$DIR/admin.conf
t0=$(date +%s)

mapfile -t MASTERS < <(jq -r '.[] | select(.role == "master") | .name' "$DIR/hosts.json")
mapfile -t WORKERS < <(jq -r '.[] | select(.role == "worker") | .name' "$DIR/hosts.json")
addr() { jq -r --arg n "$1" '.[] | select(.name == $n) | .address' "$DIR/hosts.json"; }
FIRST=${MASTERS[0]}; OTHERS=("${MASTERS[@]:1}")
EP=$(sed -n 's/^controlPlaneEndpoint: *//p' "$DIR/kubeadm-config.yaml")

step() { printf '[solve %4ds] %s\n' $(($(date +%s) - t0)) "$*"; }
# on HOST: run the bash script given on stdin (values are put in with printf %q)
on() { "${SSH[@]}" "root@$(addr "$1")" bash -euo pipefail -s; }
wait_for() { # SECONDS WHAT CMD...: retry CMD every 2 s
  local n=$(($1 / 2)) what=$2 i; shift 2
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 2; done
  echo "solve-by-hand: timed out: $what" >&2; return 1
}
CP_CONTAINERS="etcd|kube-apiserver|kube-controller-manager|kube-scheduler"

# 0. the cluster's own ClusterConfiguration (kept by the lab in DIR), with this node's InitConfiguration
for m in "${MASTERS[@]}"; do
  { printf 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nlocalAPIEndpoint: {advertiseAddress: %s, bindPort: 6443}\nnodeRegistration: {name: %s}\n---\n' "$(addr "$m")" "$m"
    cat "$DIR/kubeadm-config.yaml"; } | "${SSH[@]}" "root@$(addr "$m")" 'umask 077; mkdir -p /root/repair; cat > /root/repair/kubeadm.yaml'
done

step "1. masters: leftovers of /etc/kubernetes removed, control-plane containers (only) stopped"
for m in "${MASTERS[@]}"; do
  on "$m" <<SH
mkdir -p /root/repair/backup && cp -a /etc/kubernetes /root/repair/backup/ 2>/dev/null || true
rm -rf /etc/kubernetes
ids=\$(crictl ps -a -q --name '$CP_CONTAINERS' || true)
if [ -n "\$ids" ]; then crictl stop \$ids >/dev/null || true; crictl rm \$ids >/dev/null || true; fi
SH
done

step "2. $FIRST: new etcd CA"
on "$FIRST" <<<'kubeadm init phase certs etcd-ca --config /root/repair/kubeadm.yaml'

step "3. others: copy the etcd CA"
for m in "${OTHERS[@]}"; do
  on "$FIRST" <<<'tar -C /etc/kubernetes/pki -cf - etcd/ca.crt etcd/ca.key' | "${SSH[@]}" "root@$(addr "$m")" 'mkdir -p /etc/kubernetes/pki && tar -C /etc/kubernetes/pki -xf -'
done

step "4. masters: etcd certs and the etcd static pod (old data, old membership)"
for m in "${MASTERS[@]}"; do
  on "$m" <<'SH'
for c in etcd-healthcheck-client etcd-peer etcd-server; do kubeadm init phase certs $c --config /root/repair/kubeadm.yaml; done
kubeadm init phase etcd local --config /root/repair/kubeadm.yaml
SH
done
# a kubeadm host has no etcdctl: it is in the etcd image, run with crictl exec (certs at the same paths)
etcd_healthy() {
  on "$FIRST" <<'SH' | grep -c 'is healthy' | grep -qx "${#MASTERS[@]}"
id=$(crictl ps -q --name '^etcd$' --label io.kubernetes.pod.namespace=kube-system)
P=/etc/kubernetes/pki/etcd
crictl exec "$id" etcdctl --endpoints=https://127.0.0.1:2379 --cacert=$P/ca.crt --cert=$P/healthcheck-client.crt --key=$P/healthcheck-client.key endpoint health --cluster 2>&1
SH
}
wait_for 180 "etcd healthy on all ${#MASTERS[@]} members" etcd_healthy

step "5. $FIRST: certs, kubeconfigs and control plane"
on "$FIRST" <<'SH'
kubeadm init phase certs all --config /root/repair/kubeadm.yaml
kubeadm init phase kubeconfig all --config /root/repair/kubeadm.yaml
kubeadm init phase control-plane all --config /root/repair/kubeadm.yaml
SH
on "$FIRST" <<<'cat /etc/kubernetes/admin.conf' >"$DIR/admin.conf"
chmod 600 "$DIR/admin.conf"

step "6. wait for the apiserver with the new CA; bootstrap-token (rewrites cluster-info)"
wait_for 180 "the apiserver answers with the new CA" kubectl get --raw /readyz
on "$FIRST" <<<'kubeadm init phase bootstrap-token --config /root/repair/kubeadm.yaml' >/dev/null

step "7. $FIRST: upload-certs, join token"
KEY=$(on "$FIRST" <<<'kubeadm certs certificate-key')
# with --config, the key goes in the InitConfiguration (kubeadm refuses --certificate-key next to --config)
on "$FIRST" <<SH >/dev/null
sed 's/^kind: InitConfiguration\$/&\ncertificateKey: $KEY/' /root/repair/kubeadm.yaml > /root/repair/upload-certs.yaml
kubeadm init phase upload-certs --upload-certs --config /root/repair/upload-certs.yaml
SH
TOKEN=$(on "$FIRST" <<<'kubeadm token create --ttl 1h')
HASH=sha256:$(on "$FIRST" <<<'openssl x509 -pubkey -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex | sed "s/^.* //"')

step "8. others, one at a time: control-plane-prepare all, control-plane-join all (no endpoint, no discovery flags: it reads the admin.conf prepare wrote)"
for m in "${OTHERS[@]}"; do
  on "$m" <<SH
kubeadm join phase control-plane-prepare all $EP --control-plane --token $TOKEN --discovery-token-ca-cert-hash $HASH --certificate-key $KEY --apiserver-advertise-address $(addr "$m") --node-name $m >/dev/null
kubeadm join phase control-plane-join all --control-plane --apiserver-advertise-address $(addr "$m") --node-name $m >/dev/null
SH
done

step "9. extension-apiserver-authentication carries the new front-proxy CA"
FP=$(on "$FIRST" <<<'cat /etc/kubernetes/pki/front-proxy-ca.crt')
wait_for 60 "the new front-proxy CA in extension-apiserver-authentication" \
  bash -c 'kubectl -n kube-system get cm extension-apiserver-authentication -o jsonpath="{.data.requestheader-client-ca-file}" | grep -qF "$1"' _ "$(sed -n 2p <<<"$FP")"

step "10. masters: kubelets re-bootstrapped with a kubelet.conf of the new CA"
for m in "${MASTERS[@]}"; do
  on "$m" <<'SH'
systemctl stop kubelet
rm -rf /var/lib/kubelet/pki /etc/kubernetes/kubelet.conf
kubeadm init phase kubeconfig kubelet --config /root/repair/kubeadm.yaml >/dev/null
kubeadm init phase kubelet-start --config /root/repair/kubeadm.yaml >/dev/null
SH
done

step "11. masters: kube-controller-manager restarted (reads the CA once at start)"
for m in "${MASTERS[@]}"; do
  on "$m" <<'SH'
rm -f /etc/kubernetes/manifests/kube-controller-manager.yaml
for i in $(seq 60); do [ -z "$(crictl ps -q --name kube-controller-manager)" ] && break; sleep 1; done
kubeadm init phase control-plane controller-manager --config /root/repair/kubeadm.yaml >/dev/null
SH
done
wait_for 180 "master Nodes Ready" bash -c 'for m; do kubectl get node "$m" -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].status}" | grep -qx True || exit 1; done' _ "${MASTERS[@]}"

step "12. $FIRST: a fresh join command"
JOIN=$(on "$FIRST" <<<'kubeadm token create --print-join-command')
read -r _ _ JEP _ JTOKEN _ JHASH _ <<<"$JOIN"

AT_ONCE=${SOLVE_WORKERS_AT_ONCE:-5}  # 1 = strictly host by host (scripts/bench recover's baseline)
step "13. workers, rolling ($AT_ONCE at a time${SOLVE_PARALLEL_SSH:+, parallel-ssh}): kubelet re-bootstrapped by kubeadm join phase kubelet-start"
not_ready() { [ "$(kubectl get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" != True ]; }
ready() { ! not_ready "$1"; }
rejoin() {
  wait_for 120 "$1 NotReady before its rejoin" not_ready "$1"
  on "$1" <<SH
systemctl stop kubelet
rm -rf /var/lib/kubelet/pki /etc/kubernetes/pki /etc/kubernetes/kubelet.conf
kubeadm join phase kubelet-start $JEP --token $JTOKEN --discovery-token-ca-cert-hash $JHASH >/dev/null
SH
  wait_for 180 "$1 Ready after its rejoin" ready "$1"
}
# SOLVE_PARALLEL_SSH=1: an operator with a parallel shell: one parallel-ssh (Debian's pssh) per batch
# runs the same commands on the batch's workers at once, then the batch's Nodes must turn Ready
pssh_batch() {
  local hosts=$DIR/solve-pssh-hosts w
  for w in "$@"; do wait_for 120 "$w NotReady before its rejoin" not_ready "$w"; done
  for w in "$@"; do echo "root@$(addr "$w")"; done >"$hosts"
  parallel-ssh -h "$hosts" -p $# -t 0 -x "${SSH[*]:1}" -I bash -euo pipefail -s >/dev/null <<SH
systemctl stop kubelet
rm -rf /var/lib/kubelet/pki /etc/kubernetes/pki /etc/kubernetes/kubelet.conf
kubeadm join phase kubelet-start $JEP --token $JTOKEN --discovery-token-ca-cert-hash $JHASH >/dev/null
SH
  for w in "$@"; do wait_for 180 "$w Ready after its rejoin" ready "$w"; done
}
for ((i = 0; i < ${#WORKERS[@]}; i += AT_ONCE)); do
  if [ -n "${SOLVE_PARALLEL_SSH:-}" ]; then pssh_batch "${WORKERS[@]:i:AT_ONCE}"; continue; fi
  pids=()
  for w in "${WORKERS[@]:i:AT_ONCE}"; do rejoin "$w" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p"; done
done

step "14. pending kubelet-serving CSRs of known nodes approved"
for csr in $(kubectl get csr -o json | jq -r '.items[] | select(.spec.signerName == "kubernetes.io/kubelet-serving" and (.status.conditions // []) == []) | .metadata.name'); do
  kubectl certificate approve "$csr" >/dev/null
done

step "15. service-account token secrets blanked (controller-manager refills them with the new sa.key)"
kubectl get secrets -A -o json | jq -r '.items[] | select(.type == "kubernetes.io/service-account-token") | "\(.metadata.namespace) \(.metadata.name)"' |
  while read -r ns name; do kubectl -n "$ns" patch secret "$name" -p '{"data":{"token":null}}' >/dev/null; done
wait_for 120 "every token secret refilled" bash -c \
  '[ "$(kubectl get secrets -A -o json | jq "[.items[] | select(.type == \"kubernetes.io/service-account-token\" and (.data.token // \"\") == \"\")] | length")" = 0 ]'

step "16. pods holding old tokens restarted: kube-system first, then the rest"
TOKEN_PODS='.items[] | select(.metadata.ownerReferences[0].kind != "Node" and .metadata.annotations["kubernetes.io/config.mirror"] == null)
  | select((.spec.automountServiceAccountToken != false) or ([.spec.volumes[]?.secret.secretName // empty] | length > 0) or ([.spec.volumes[]?.projected.sources[]?.serviceAccountToken // empty] | length > 0))
  | "\(.metadata.namespace) \(.metadata.name)"'
for scope in kube-system others; do
  kubectl get pods -A -o json | jq -r "$TOKEN_PODS" | while read -r ns name; do
    if { [ "$scope" = kube-system ] && [ "$ns" = kube-system ]; } || { [ "$scope" = others ] && [ "$ns" != kube-system ]; }; then
      kubectl -n "$ns" delete pod "$name" --wait=false >/dev/null
    fi
  done
done

step "17. verify: every Node Ready, every pod Ready"
wait_for 300 "every Node Ready" bash -c '[ -z "$(kubectl get nodes --no-headers | awk "\$2 != \"Ready\"")" ]'
wait_for 300 "every pod Running and Ready" bash -c '[ -z "$(kubectl get pods -A --no-headers | awk "\$4 != \"Running\" || split(\$3, a, \"/\") && a[1] != a[2]")" ]'
kubectl get nodes
step "done"
