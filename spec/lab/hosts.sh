#!/usr/bin/env bash
# The lab's host part: N simulated hosts on one Linux machine, each a real OpenSSH sshd in
#   * its own network namespace (veth on the lab bridge kmlabID, address 10.ID.x.y/16, no default route)
#   * its own UTS (hostname), IPC and PID namespaces (PID 1 = a tiny reaping init (dash) that starts sshd)
#   * its own mount namespace: overlay on /etc and /var (upper folders per host under DIR/hosts/NAME),
#     per-host /root and /home, tmpfs /run, /tmp, /dev/shm, /opt (with the checkout read-only at
#     /opt/kubemend) and spec/lab/bin as the lower layer of a per-host writable /usr/local/bin (where
#     kubespray's layout installs etcd and etcdctl, as kubespray's bin_dir); /usr/bin without etcdctl
#     (a read-only overlay whose upper layer whites it out, as a kubeadm host has none); the
#     machine's /usr, bound non-recursively at /opt/lab/machine-usr, is where the lab's etcd image
#     (ctr run, crictl exec) takes etcd and etcdctl.
# Nothing outside DIR is written on the real filesystem; nothing is sent outside 10.ID.0.0/16.
#
# usage (normally through scripts/lab; needs root):
#   hosts.sh up   (--hosts N | --names a,b,c) [--dir DIR] [--net ID] [--ssh-port P] [--sudo-user]
#   hosts.sh down [--dir DIR] [--net ID]
#   hosts.sh exec HOST [--dir DIR] -- CMD...
#   hosts.sh fault sshd-stop|sshd-start|cut|uncut|unslow HOST [--dir DIR]
#   hosts.sh fault slow HOST [RATE, default 1mbit] [--dir DIR]   (bandwidth, both ways; no netem here)
#   hosts.sh fault kill HOST PROCESS-NAME [--signal SIG] [--dir DIR]
#   hosts.sh fault apiserver-blip HOST SECONDS [--mode refuse|503] [--dir DIR]
#            (the host's apiserver refuses connections, as while its container restarts, or
#            answers 503, for SECONDS: spec/lab/sim/apiserver/blip.ts)
#   hosts.sh list [--dir DIR]          (hosts.json)
#   hosts.sh check [--dir DIR]         (exit 0 when every host runs its init and sshd)
#   hosts.sh lb up|stop|start [--dir DIR]  (the load balancer in front of the masters' :6443, at 10.ID.0.10)
# env: LAB_JOBS (parallel host creation, default 8), LAB_KEEP_FAILED=1 (keep a half-made lab),
#      LAB_TRACE=1 (phase time stamps on stderr)
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
REPO_DEFAULT=$(cd "$(dirname "$SELF")/../.." && pwd -P)
SUDO_PASSWORD_USER=kubepw    # its sudo password is "lab-sudo-pw" (a lab fixture, not a secret)
KUBE_UID=2001
KUBEPW_UID=2002

die() { echo "lab: $*" >&2; exit 1; }
# LAB_TRACE=1: time stamps of the phases of up/down on stderr
trace() { [ "${LAB_TRACE:-}" = 1 ] && echo "lab: $(date +%T.%3N) $*" >&2; return 0; }
log() { echo "lab: $*" >&2; }

# ---------------------------------------------------------------- options and lab.env

parse_common() {  # sets OPT_* from the command line; leftovers in ARGS
  OPT_DIR= OPT_NET= OPT_PORT= OPT_SUDO= OPT_HOSTS= OPT_NAMES= OPT_SIGNAL= OPT_MODE= ARGS=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) OPT_DIR=${2:?--dir needs a folder}; shift 2 ;;
      --dir=*) OPT_DIR=${1#*=}; shift ;;
      --net) OPT_NET=${2:?--net needs an id}; shift 2 ;;
      --net=*) OPT_NET=${1#*=}; shift ;;
      --ssh-port) OPT_PORT=${2:?--ssh-port needs a port}; shift 2 ;;
      --ssh-port=*) OPT_PORT=${1#*=}; shift ;;
      --sudo-user) OPT_SUDO=1; shift ;;
      --hosts) OPT_HOSTS=${2:?--hosts needs a number}; shift 2 ;;
      --hosts=*) OPT_HOSTS=${1#*=}; shift ;;
      --names) OPT_NAMES=${2:?--names needs a list}; shift 2 ;;
      --names=*) OPT_NAMES=${1#*=}; shift ;;
      --signal) OPT_SIGNAL=${2:?--signal needs a signal}; shift 2 ;;
      --mode) OPT_MODE=${2:?--mode needs refuse or 503}; shift 2 ;;
      --) shift; ARGS+=("$@"); break ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
}

# Loads DIR/lab.env (written first thing by `up`), so every later command uses up's values.
load_env() {
  LAB_DIR=$(realpath -m "${OPT_DIR:-/tmp/kubemend-lab}")
  if [ -f "$LAB_DIR/lab.env" ]; then
    # shellcheck disable=SC1091
    . "$LAB_DIR/lab.env"
    return 0
  fi
  return 1
}

check_net() {
  [[ "$1" =~ ^[0-9]+$ ]] && [ "$1" -ge 20 ] && [ "$1" -le 255 ] || die "--net must be an integer 20..255, got '$1'"
}

# host i (1-based) -> 10.NET.(1+(i-1)/200).(10+(i-1)%200)
addr_of() { echo "10.$LAB_NET.$((1 + ($1 - 1) / 200)).$((10 + ($1 - 1) % 200))"; }
ns_of() { echo "kmlab$LAB_NET-$1"; }
veth_of() { echo "km$LAB_NET-$1"; }

# role of host NAME at position I: m<digits> master, w<digits> worker, e<digits> etcd (a member of a
# separate etcd cluster, neither master nor node: kubespray's etcd group), else the first host is the master
role_of() {
  case "$1" in
    m[0-9]*) echo master ;;
    w[0-9]*) echo worker ;;
    e[0-9]*) echo etcd ;;
    *) [ "$2" = 1 ] && echo master || echo worker ;;
  esac
}

names_array() { IFS=, read -r -a NAMES <<<"$LAB_NAMES"; }

# root-namespace pid of a host's init (PID 1 of its pid namespace), or fail
init_pid() {
  local f=$LAB_DIR/hosts/$1/init.pid p
  [ -f "$f" ] || die "$1: no such host in $LAB_DIR (is the lab up?)"
  p=$(cat "$f")
  [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$(stat -L -c 'net:[%i]' "/run/netns/$(ns_of "$1")" 2>/dev/null)" ] \
    || die "$1: host is not running (init pid $p gone)"
  echo "$p"
}

# ---------------------------------------------------------------- up

cmd_up() {
  parse_common "$@"
  [ ${#ARGS[@]} = 0 ] || die "up: unexpected argument '${ARGS[0]}'"
  if load_env; then
    die "a lab is already up in $LAB_DIR (net $LAB_NET); run: scripts/lab down --dir $LAB_DIR"
  fi
  LAB_NET=${OPT_NET:-77}; check_net "$LAB_NET"
  LAB_PORT=${OPT_PORT:-22}
  [[ "$LAB_PORT" =~ ^[0-9]+$ ]] && [ "$LAB_PORT" -ge 1 ] && [ "$LAB_PORT" -le 65535 ] || die "--ssh-port must be 1..65535"
  LAB_SUDO=${OPT_SUDO:-0}
  if [ -n "$OPT_NAMES" ]; then
    LAB_NAMES=$OPT_NAMES
  elif [ -n "$OPT_HOSTS" ]; then
    [[ "$OPT_HOSTS" =~ ^[0-9]+$ ]] && [ "$OPT_HOSTS" -ge 1 ] || die "--hosts must be a positive integer"
    [ "$OPT_HOSTS" -le 1000 ] || die "--hosts: at most 1000 hosts (one bridge holds at most 1023 ports)"
    LAB_NAMES=$(for ((i = 1; i <= OPT_HOSTS; i++)); do printf 'h%03d\n' "$i"; done | paste -sd,)
  else
    die "up: give --hosts N or --names a,b,c"
  fi
  names_array
  local n=${#NAMES[@]} seen=" " name
  [ "$n" -le 1000 ] || die "at most 1000 hosts (one bridge holds at most 1023 ports)"
  for name in "${NAMES[@]}"; do
    [[ "$name" =~ ^[a-z][a-z0-9-]{0,19}$ ]] || die "bad host name '$name' (lowercase letters, digits, '-', at most 20)"
    [[ "$seen" == *" $name "* ]] && die "host name '$name' given twice"
    seen+="$name "
  done
  LAB_BR=kmlab$LAB_NET
  ip link show "$LAB_BR" >/dev/null 2>&1 && die "bridge $LAB_BR exists: another lab uses net $LAB_NET (take it down, or use another --net)"
  grep -q "^kmlab$LAB_NET-" <<<"$(ip netns list)" && die "network namespaces kmlab$LAB_NET-* exist: another lab uses net $LAB_NET"
  LAB_REPO=$REPO_DEFAULT
  [[ "$LAB_DIR$LAB_REPO" =~ [[:space:]] ]] && die "the lab folder and the checkout path must not contain spaces ($LAB_DIR, $LAB_REPO)"
  [ -d "$LAB_REPO/spec/lab/bin" ] || die "missing $LAB_REPO/spec/lab/bin"

  local t0 own=0
  t0=$(date +%s.%N)
  if [ ! -e "$LAB_DIR" ] || [ -z "$(ls -A "$LAB_DIR" 2>/dev/null)" ]; then own=1; fi
  # leftovers of a lab that died without `down` (no lab.env, so nothing of it runs): start clean
  rm -rf --one-file-system "$LAB_DIR/hosts" "$LAB_DIR/id_ed25519" "$LAB_DIR/id_ed25519.pub" "$LAB_DIR/.tick"
  mkdir -p "$LAB_DIR/hosts"
  if [ "$own" = 1 ]; then chmod 700 "$LAB_DIR"; fi   # it holds the client's private key
  # lab.env first: `down` can then clean up even a half-made lab
  cat >"$LAB_DIR/lab.env" <<EOF
LAB_DIR=$LAB_DIR
LAB_NET=$LAB_NET
LAB_BR=$LAB_BR
LAB_PORT=$LAB_PORT
LAB_SUDO=$LAB_SUDO
LAB_NAMES=$LAB_NAMES
LAB_REPO=$LAB_REPO
LAB_OWN_DIR=$own
EOF

  if ! up_body "$n"; then
    if [ "${LAB_KEEP_FAILED:-}" = 1 ]; then
      die "up failed; half-made lab kept in $LAB_DIR (scripts/lab down --dir $LAB_DIR)"
    fi
    log "up failed; tearing the half-made lab down"
    cmd_down --dir "$LAB_DIR" >&2 || true
    exit 1
  fi
  local t1
  t1=$(date +%s.%N)
  printf 'lab: %d hosts up in %.1fs (net %s, dir %s)\n' "$n" "$(awk "BEGIN{print $t1 - $t0}")" "$LAB_NET" "$LAB_DIR"
}

up_body() {
  local n=$1 i
  ssh-keygen -q -t ed25519 -N '' -C "kubemend-lab-client" -f "$LAB_DIR/id_ed25519" </dev/null >/dev/null || return 1
  ip link add "$LAB_BR" type bridge || return 1
  echo 1 >"/proc/sys/net/ipv6/conf/$LAB_BR/disable_ipv6"
  ip addr add "10.$LAB_NET.0.1/16" dev "$LAB_BR" || return 1
  ip link set "$LAB_BR" up || return 1
  # /etc/hosts shared by all hosts of the lab (each host gets a copy in its /etc overlay)
  {
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    for ((i = 1; i <= n; i++)); do printf '%s\t%s\n' "$(addr_of "$i")" "${NAMES[i - 1]}"; done
  } >"$LAB_DIR/etc-hosts"
  if [ "$LAB_SUDO" = 1 ]; then
    openssl passwd -6 -stdin <<<lab-sudo-pw >"$LAB_DIR/kubepw.hash" || return 1
  fi
  # the network of every host in three `ip -batch` runs (netns, veth with its peer eth0 inside,
  # bridge port); addresses are set by each host's init, from inside its netns
  local ns=() veths=()
  for ((i = 1; i <= n; i++)); do ns+=("$(ns_of "${NAMES[i - 1]}")"); veths+=("$(veth_of "$i")"); done
  printf 'netns add %s\n' "${ns[@]}" | ip -batch - || return 1
  for ((i = 0; i < n; i++)); do echo "link add ${veths[i]} type veth peer name eth0 netns ${ns[i]}"; done |
    ip -batch - || return 1
  for ((i = 0; i < n; i++)); do echo 1 >"/proc/sys/net/ipv6/conf/${veths[i]}/disable_ipv6"; done
  printf "link set %s master $LAB_BR up\n" "${veths[@]}" | ip -batch - || return 1
  trace "up: network of $n hosts made"
  mkfifo "$LAB_DIR/.tick"   # read -t on it = a sleep without a fork
  export LAB_DIR
  local jobs=${LAB_JOBS:-8}
  for ((i = 1; i <= n; i++)); do echo "$i ${NAMES[i - 1]}"; done |
    xargs -P "$jobs" -L 1 "$SELF" _mkhost || { log "some hosts failed to start"; return 1; }
  trace "up: $n hosts started"
  write_outputs "$n"
}

# ---- runs in the root namespaces: create and start one host (called via xargs -P) ----
cmd_mkhost() {
  local i=$1 h=$2
  load_env || die "_mkhost: no lab.env in $LAB_DIR"
  local d=$LAB_DIR/hosts/$h ip ns uuid
  ip=$(addr_of "$i"); ns=$(ns_of "$h")
  # few forks per host (bash builtins for the small files): this runs 200 times
  umask 022   # upper dirs and files of /etc are seen by every user of the host
  mkdir -p "$d"/{etc.up/ssh,etc.wk,var.up/log,var.wk,home,usr-bin.wh,ulb.up,ulb.wk}
  # a kubeadm host has no etcdctl (etcd runs from its image): whiteouts hide the machine's
  # etcdctl/etcdutl (Debian's etcd-client, for the lab's own witnesses) from the host's /usr/bin
  local wh
  for wh in etcdctl etcdutl; do [ -e "$d/usr-bin.wh/$wh" ] || mknod "$d/usr-bin.wh/$wh" c 0 0; done
  echo "$i" >"$d/index"
  ssh-keygen -q -t ed25519 -N '' -C "root@$h" -f "$d/etc.up/ssh/ssh_host_ed25519_key" </dev/null >/dev/null
  echo "$h" >"$d/etc.up/hostname"
  echo "$(<"$LAB_DIR/etc-hosts")" >"$d/etc.up/hosts"
  read -r uuid </proc/sys/kernel/random/uuid
  echo "${uuid//-/}" >"$d/etc.up/machine-id"
  cat >"$d/etc.up/ssh/sshd_config" <<EOF
# lab host $h: complete config (the real /etc/ssh/sshd_config is shadowed by the /etc overlay)
ListenAddress $ip:$LAB_PORT
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes yes
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
MaxStartups 1000:30:1000
MaxSessions 64
LoginGraceTime 30
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  if [ "$LAB_SUDO" = 1 ]; then add_sudo_users "$d" "$i"; fi
  umask 077
  mkdir -p "$d/root/.ssh"
  echo "$(<"$LAB_DIR/id_ed25519.pub")" >"$d/root/.ssh/authorized_keys"
  umask 022   # the host's processes (sshd and its sessions) get the usual 022

  # nsenter --net (not `ip netns exec`, whose extra slave mount ns per host receives every later
  # netns mount: O(n^2) at 200 hosts); unshare makes the rest; the init mounts this netns' /sys.
  # `unshare --fork` stays as the parent outside the pid ns; its child is the host's PID 1.
  setsid nsenter --net="/run/netns/$ns" unshare --mount --uts --ipc --pid --fork --mount-proc --propagation private \
    "$SELF" _init "$i" "$h" "$LAB_DIR" </dev/null >"$d/init.log" 2>&1 &   # DIR in argv: pgrep -f DIR
  local up=$! init= t tick
  echo "$up" >"$d/unshare.pid"
  exec {tick}<>"$LAB_DIR/.tick"
  for ((t = 0; t < 1200; t++)); do   # 60 s
    [ -z "$init" ] && { read -r init _ <"/proc/$up/task/$up/children" || true; } 2>/dev/null
    if [ -n "$init" ] && [ -s "/proc/$init/root/run/sshd.pid" ]; then
      echo "$init" >"$d/init.pid"
      return 0
    fi
    kill -0 "$up" 2>/dev/null || break
    read -r -t 0.05 -u "$tick" _ || true
  done
  [ -n "$init" ] && echo "$init" >"$d/init.pid"
  echo "lab: host $h ($ip) did not start sshd; its log:" >&2
  tail -n 20 "$d/init.log" "$d/var.up/log/sshd.log" 2>/dev/null | sed 's/^/  /' >&2 || true
  return 1
}

# users kube (passwordless sudo, every host) and kubepw (sudo with a password, first host only),
# written into the host's /etc overlay and /home before the host starts
add_sudo_users() {
  local d=$1 i=$2 u
  cp -p /etc/passwd /etc/group "$d/etc.up/"
  cp -p /etc/shadow /etc/gshadow "$d/etc.up/"
  mkdir -p "$d/etc.up/sudoers.d"
  local users=(kube)
  [ "$i" = 1 ] && users+=("$SUDO_PASSWORD_USER")
  for u in "${users[@]}"; do
    local uid=$KUBE_UID hash='*' rule='NOPASSWD: ALL'
    if [ "$u" = "$SUDO_PASSWORD_USER" ]; then uid=$KUBEPW_UID hash=$(cat "$LAB_DIR/kubepw.hash") rule='ALL'; fi
    echo "$u:x:$uid:$uid:kubemend lab:/home/$u:/bin/bash" >>"$d/etc.up/passwd"
    echo "$u:x:$uid:" >>"$d/etc.up/group"
    echo "$u:$hash:20000:0:99999:7:::" >>"$d/etc.up/shadow"
    echo "$u:!::" >>"$d/etc.up/gshadow"
    echo "$u ALL=(ALL:ALL) $rule" >"$d/etc.up/sudoers.d/lab-$u"
    chmod 0440 "$d/etc.up/sudoers.d/lab-$u"
    mkdir -p "$d/home/$u/.ssh"
    cp "$LAB_DIR/id_ed25519.pub" "$d/home/$u/.ssh/authorized_keys"
    chmod 755 "$d/home/$u"; chmod 700 "$d/home/$u/.ssh"; chmod 600 "$d/home/$u/.ssh/authorized_keys"
    chown -R "$uid:$uid" "$d/home/$u"
  done
  # sudo logs every command it runs (COMMAND=...) as real hosts do to auth.log or journald; here to
  # a file, one line per command (loglinelen=0: no wrapping), so tests can look for secrets in it
  printf 'Defaults logfile=/var/log/sudo.log\nDefaults loglinelen=0\n' >"$d/etc.up/sudoers.d/lab-log"
  chmod 0440 "$d/etc.up/sudoers.d/lab-log"
}

# ---- runs INSIDE the new namespaces as PID 1: mounts, starts sshd, then reaps forever ----
cmd_init() {
  local i=$1 h=$2
  load_env || { echo "init: no lab.env" >&2; exit 1; }
  local d=$LAB_DIR/hosts/$h
  umask 022
  echo "$h" >/proc/sys/kernel/hostname
  # the root's /run/netns/* (one per lab host) and /sys (the root netns' devices) are not this host's
  umount -l /run/netns /sys 2>/dev/null || umount -l /sys
  local f
  for f in all default lo eth0; do echo 1 >"/proc/sys/net/ipv6/conf/$f/disable_ipv6"; done
  # no default route: the host only reaches 10.NET.0.0/16
  printf 'addr add %s/16 dev eth0\nlink set lo up\nlink set eth0 up\n' "$(addr_of "$i")" | ip -batch -
  # every mount in one `mount -a` (it reads the whole table first, so over-mounting /tmp, where the
  # table and the lab folder usually are, comes last and is fine)
  cat >"$d/fstab" <<FSTAB
kmlab-sys-$h /sys sysfs defaults 0 0
kmlab-etc-$h /etc overlay lowerdir=/etc,upperdir=$d/etc.up,workdir=$d/etc.wk,volatile 0 0
kmlab-var-$h /var overlay lowerdir=/var,upperdir=$d/var.up,workdir=$d/var.wk,volatile 0 0
$d/root /root none bind 0 0
$d/home /home none bind 0 0
kmlab-opt-$h /opt tmpfs mode=0755,size=1m 0 0
$LAB_REPO /opt/kubemend none bind,ro,X-mount.mkdir 0 0
kmlab-ulb-$h /usr/local/bin overlay lowerdir=$LAB_REPO/spec/lab/bin,upperdir=$d/ulb.up,workdir=$d/ulb.wk,volatile 0 0
/usr /opt/lab/machine-usr none bind,ro,X-mount.mkdir 0 0
kmlab-usrbin-$h /usr/bin overlay ro,lowerdir=$d/usr-bin.wh:/usr/bin 0 0
kmlab-run-$h /run tmpfs mode=0755,size=64m 0 0
kmlab-tmp-$h /tmp tmpfs mode=1777,size=256m 0 0
kmlab-shm-$h /dev/shm tmpfs mode=1777,size=64m 0 0
FSTAB
  mount -a -T "$d/fstab"
  mkdir -m 0755 /run/sshd /run/lock /run/lab   # sshd's privsep dir: root-owned, 0755
  cd /
  start_sshd
  # the reaper (dash: 1.7 MiB): it reaps every orphan while in `wait`; its sleeper is named
  # lab-pause (comm), so `pkill -x sleep` on a host does not hit it
  ln -s /bin/sleep /opt/lab-pause
  exec -a lab-init /bin/dash -c 'trap "" HUP INT QUIT TERM USR1 USR2
    while :; do /opt/lab-pause 2147483647 & wait || sleep 1; done'
}

# starts the host's sshd as a daemon (absolute path: it re-executes itself per connection);
# it writes /run/sshd.pid once it listens
start_sshd() {
  rm -f /run/sshd.pid
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    /usr/sbin/sshd -f /etc/ssh/sshd_config -E /var/log/sshd.log </dev/null >/dev/null 2>&1
}

# ---------------------------------------------------------------- outputs

write_outputs() {
  local n=$1 i h ip kh role first_addr ktype key
  : >"$LAB_DIR/known_hosts"
  first_addr=
  local hj="[" inv_hosts=""
  for ((i = 1; i <= n; i++)); do
    h=${NAMES[i - 1]}; ip=$(addr_of "$i"); role=$(role_of "$h" "$i")
    kh=$ip; [ "$LAB_PORT" = 22 ] || kh="[$ip]:$LAB_PORT"
    read -r ktype key _ <"$LAB_DIR/hosts/$h/etc.up/ssh/ssh_host_ed25519_key.pub"
    echo "$kh $ktype $key" >>"$LAB_DIR/known_hosts"
    [ -z "$first_addr" ] && [ "$role" = master ] && first_addr=$ip
    [ "$i" -gt 1 ] && hj+=","
    hj+=$(printf '\n  {"name": "%s", "address": "%s", "role": "%s"}' "$h" "$ip" "$role")
    # kubemend's YAML has masters and workers only: a separate etcd host is in the kubespray inventory
    [ "$role" = etcd ] || inv_hosts+=$(printf '  - name: %s\n    address: %s\n    role: %s\n' "$h" "$ip" "$role")$'\n'
  done
  [ -z "$first_addr" ] && first_addr=$(addr_of 1)
  printf '%s\n]\n' "$hj" >"$LAB_DIR/hosts.json"
  cat >"$LAB_DIR/inventory.yaml" <<EOF
# written by scripts/lab up (net $LAB_NET); paths are relative to this file
cluster: lab
controlPlaneEndpoint: $first_addr:6443
ssh:
  user: root
  port: $LAB_PORT
  identityFile: id_ed25519
  knownHosts: known_hosts
  sudo: none
hosts:
$inv_hosts
EOF
}

# ---------------------------------------------------------------- down

cmd_down() {
  parse_common "$@"
  if ! load_env; then
    if [ -n "$OPT_NET" ]; then   # no lab.env: clean up by net id only when asked explicitly
      check_net "$OPT_NET"; LAB_NET=$OPT_NET LAB_BR=kmlab$OPT_NET LAB_OWN_DIR=0
    else
      return 0
    fi
  fi
  local t0 nss=() inodes=() ns p pids=()
  t0=$(date +%s.%N)
  mapfile -t nss < <(ip netns list | awk -v pre="kmlab$LAB_NET-" 'index($1, pre) == 1 {print $1}')
  trace "down: ${#nss[@]} namespaces"
  # 1. SIGKILL every process in one of the lab's network namespaces: that includes each host's
  #    PID 1, whose death ends its whole pid namespace (no pid files needed: half-made labs too)
  [ ${#nss[@]} -gt 0 ] && mapfile -t inodes < <(cd /run/netns && stat -L -c 'net:[%i]' "${nss[@]}" 2>/dev/null)
  local pass
  for pass in 1 2 3 4 5 6 7 8 9 10; do
    pids=()
    if [ ${#inodes[@]} -gt 0 ]; then
      mapfile -t pids < <(find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%l %h\n' 2>/dev/null |
        awk -v set=" ${inodes[*]} " 'index(set, " " $1 " ") {split($2, a, "/"); print a[3]}')
    fi
    [ ${#pids[@]} = 0 ] && break
    trace "down: pass $pass: SIGKILL ${#pids[@]} processes"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.2
  done
  trace "down: processes gone"
  [ ${#pids[@]} = 0 ] || log "down: processes still alive in the lab's namespaces: ${pids[*]}"
  # 2. namespaces (the veth pairs die with them), leftover veths, the bridge
  [ ${#nss[@]} -gt 0 ] && { printf 'netns del %s\n' "${nss[@]}" | ip -force -batch - 2>/dev/null || true; }
  ip -o link show type veth 2>/dev/null | awk -F': ' -v pre="km$LAB_NET-" '{split($2, a, "@")} index(a[1], pre) == 1 {print a[1]}' |
    while read -r v; do ip link del "$v" 2>/dev/null || true; done
  ip link del "$LAB_BR" 2>/dev/null || true
  trace "down: namespaces and links deleted"
  # 3. files
  if [ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ]; then
    if [ "${LAB_OWN_DIR:-0}" = 1 ] && [[ "$LAB_DIR" == /*/* ]]; then   # never / or a top folder
      rm -rf --one-file-system "$LAB_DIR"
    else
      rm -rf --one-file-system "$LAB_DIR/hosts" "$LAB_DIR/inventory.yaml" "$LAB_DIR/known_hosts" \
        "$LAB_DIR/id_ed25519" "$LAB_DIR/id_ed25519.pub" "$LAB_DIR/hosts.json" "$LAB_DIR/etc-hosts" \
        "$LAB_DIR/kubepw.hash" "$LAB_DIR/cluster.up" "$LAB_DIR/.tick" "$LAB_DIR/lab.env" \
        "$LAB_DIR/layout.json" "$LAB_DIR/kubespray"
    fi
  fi
  trace "down: files removed"
  printf 'lab: down in %.1fs (net %s)\n' "$(awk "BEGIN{print $(date +%s.%N) - $t0}")" "$LAB_NET"
}

# ---------------------------------------------------------------- exec, fault, list

nsenter_host() {  # nsenter_host HOST CMD... : run CMD in every namespace of HOST, clean env
  local p
  p=$(init_pid "$1"); shift
  exec_or_run=(nsenter -t "$p" -m -u -i -n -p -r -w -- env -i
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
    TERM="${TERM:-dumb}" "$@")
}

cmd_exec() {
  parse_common "$@"
  load_env || die "exec: no lab in ${LAB_DIR} (run scripts/lab up)"
  [ ${#ARGS[@]} -ge 2 ] || die "usage: scripts/lab exec HOST [--dir DIR] -- CMD..."
  local h=${ARGS[0]}
  nsenter_host "$h" "${ARGS[@]:1}"
  exec "${exec_or_run[@]}"
}

cmd_fault() {
  parse_common "$@"
  load_env || die "fault: no lab in ${LAB_DIR} (run scripts/lab up)"
  local kind=${ARGS[0]:-} h=${ARGS[1]:-}
  [ -n "$kind" ] && [ -n "$h" ] || die "usage: scripts/lab fault sshd-stop|sshd-start|cut|uncut|unslow HOST | slow HOST [RATE] | kill HOST PROCESS-NAME [--signal SIG] | apiserver-blip HOST SECONDS [--mode refuse|503] | etcd-leader-change [--to HOST]"
  [ -f "$LAB_DIR/hosts/$h/index" ] || die "fault $kind: no host '$h' in $LAB_DIR"
  local v
  v=$(veth_of "$(cat "$LAB_DIR/hosts/$h/index")")
  case "$kind" in
    sshd-stop)
      # only the listener, like `systemctl stop ssh`: open sessions survive
      nsenter_host "$h" sh -c 'p=$(cat /run/sshd.pid 2>/dev/null) || { echo "sshd is not running" >&2; exit 1; }
        kill -TERM "$p" || exit 1; rm -f /run/sshd.pid
        for i in $(seq 100); do kill -0 "$p" 2>/dev/null || exit 0; sleep 0.05; done
        echo "sshd (pid $p) did not stop" >&2; exit 1'
      "${exec_or_run[@]}" || die "fault sshd-stop $h: failed"
      ;;
    sshd-start)
      nsenter_host "$h" sh -c '[ -s /run/sshd.pid ] && kill -0 "$(cat /run/sshd.pid)" 2>/dev/null && { echo "sshd already running" >&2; exit 0; }
        rm -f /run/sshd.pid
        /usr/sbin/sshd -f /etc/ssh/sshd_config -E /var/log/sshd.log </dev/null >/dev/null 2>&1 || exit 1
        for i in $(seq 200); do [ -s /run/sshd.pid ] && exit 0; sleep 0.05; done
        echo "sshd did not write its pid file" >&2; exit 1'
      "${exec_or_run[@]}" || die "fault sshd-start $h: failed"
      ;;
    cut) ip link set "$v" down || die "fault cut $h: ip link set $v down failed" ;;
    slow)
      # bandwidth only (token bucket, both directions): this kernel has no netem for delays
      local rate=${ARGS[2]:-1mbit}
      [[ "$rate" =~ ^[0-9]+(bit|kbit|mbit|gbit)$ ]] || die "fault slow $h: rate like 1mbit or 200kbit, got '$rate'"
      tc qdisc replace dev "$v" root tbf rate "$rate" burst 16kbit latency 5s ||
        die "fault slow $h: tc qdisc replace dev $v root tbf failed"
      nsenter_host "$h" tc qdisc replace dev eth0 root tbf rate "$rate" burst 16kbit latency 5s
      "${exec_or_run[@]}" || die "fault slow $h: tc inside the host failed"
      ;;
    unslow)
      tc qdisc del dev "$v" root 2>/dev/null || true
      nsenter_host "$h" sh -c 'tc qdisc del dev eth0 root 2>/dev/null || true'
      "${exec_or_run[@]}"
      ;;
    uncut) ip link set "$v" up || die "fault uncut $h: ip link set $v up failed" ;;
    kill)
      local pname=${ARGS[2]:-}
      [ -n "$pname" ] || die "usage: scripts/lab fault kill HOST PROCESS-NAME [--signal SIG]"
      nsenter_host "$h" pkill "-${OPT_SIGNAL:-TERM}" -x -- "$pname"
      "${exec_or_run[@]}" || die "fault kill $h $pname: no process named '$pname' on $h (or kill failed)"
      ;;
    apiserver-blip)
      local secs=${ARGS[2]:-} mode=${OPT_MODE:-refuse}
      [[ "$secs" =~ ^[0-9]+$ ]] && [ "$secs" -ge 1 ] || die "usage: scripts/lab fault apiserver-blip HOST SECONDS [--mode refuse|503] (SECONDS a whole number >= 1, got '$secs')"
      [[ "$mode" =~ ^(refuse|503)$ ]] || die "fault apiserver-blip: --mode is refuse or 503, got '$mode'"
      # the apiserver reads the file every 200 ms (spec/lab/sim/apiserver/blip.ts): "UNTIL-MS MODE"
      nsenter_host "$h" sh -c 'echo "$(( $(date +%s%3N) + $1 * 1000 )) $2" > /run/lab/apiserver-blip.new && mv /run/lab/apiserver-blip.new /run/lab/apiserver-blip' sh "$secs" "$mode"
      "${exec_or_run[@]}" || die "fault apiserver-blip $h: could not write /run/lab/apiserver-blip"
      ;;
    *) die "fault: unknown fault '$kind' (sshd-stop, sshd-start, cut, uncut, slow, unslow, kill, apiserver-blip, etcd-leader-change)" ;;
  esac
}

cmd_list() {
  parse_common "$@"
  load_env || die "list: no lab in ${LAB_DIR}"
  cat "$LAB_DIR/hosts.json"
}

# exit 0 when every host of the lab runs its init and its sshd; else name the first that does not
cmd_check() {
  parse_common "$@"
  load_env || die "check: no lab in ${LAB_DIR}"
  names_array
  local h p sp
  for h in "${NAMES[@]}"; do
    p=$(init_pid "$h")
    sp=
    read -r sp 2>/dev/null <"/proc/$p/root/run/sshd.pid" || true
    [ -n "$sp" ] && [ -d "/proc/$p/root/proc/$sp" ] || die "$h: sshd is not running"
  done
}


# ---------------------------------------------------------------- load balancer

# The lab's load balancer in front of the masters' apiservers (dist-lab/spec/lab/sim/lb/main.js: a TCP
# proxy with haproxy's health checks), as a kubeadm HA cluster has it: on its own address
# 10.ID.0.10 (no lab host's), in its own network namespace kmlabID-lb on the lab bridge (veth
# kmID-lb), so `down` removes it with the hosts. Log DIR/lb/lb.log, backends' states DIR/lb/state.json.
lb_addr() { echo "10.$LAB_NET.0.10"; }

lb_start() {
  local ns=kmlab$LAB_NET-lb backends=() i
  names_array
  for ((i = 1; i <= ${#NAMES[@]}; i++)); do
    [ "$(role_of "${NAMES[i - 1]}" "$i")" = master ] && backends+=(--backend "${NAMES[i - 1]}=$(addr_of "$i"):6443")
  done
  [ ${#backends[@]} -gt 0 ] || die "lb: the lab has no master"
  local js=$LAB_REPO/dist-lab/spec/lab/sim/lb/main.js
  [ -f "$js" ] || die "lb: $js is missing (npx tsc -p tsconfig.json)"
  mkdir -p "$LAB_DIR/lb"
  rm -f "$LAB_DIR/lb/state.json"
  # rise 2, fall 2 as kubespray's haproxy (haproxy.cfg.j2); checks every 2 s, not its 15 s, to keep the lab quick
  setsid nsenter --net="/run/netns/$ns" node "$js" --listen "$(lb_addr):6443" "${backends[@]}" \
    --state "$LAB_DIR/lb/state.json" --inter 2000 --rise 2 --fall 2 </dev/null >>"$LAB_DIR/lb/lb.log" 2>&1 &
  echo $! >"$LAB_DIR/lb/pid"
  for ((i = 0; i < 200; i++)); do
    [ -s "$LAB_DIR/lb/state.json" ] && return 0
    kill -0 "$(cat "$LAB_DIR/lb/pid")" 2>/dev/null || break
    sleep 0.05
  done
  tail -n 5 "$LAB_DIR/lb/lb.log" >&2 || true
  die "lb: the balancer did not start (log $LAB_DIR/lb/lb.log)"
}

lb_running() { [ -s "$LAB_DIR/lb/pid" ] && kill -0 "$(cat "$LAB_DIR/lb/pid")" 2>/dev/null; }

cmd_lb() {
  parse_common "$@"
  load_env || die "lb: no lab in ${LAB_DIR} (run scripts/lab up)"
  local ns=kmlab$LAB_NET-lb v=km$LAB_NET-lb
  case "${ARGS[0]:-}" in
    up)
      [ -e "/run/netns/$ns" ] && die "lb: $ns exists already"
      ip netns add "$ns"
      ip link add "$v" type veth peer name eth0 netns "$ns"
      echo 1 >"/proc/sys/net/ipv6/conf/$v/disable_ipv6"
      ip link set "$v" master "$LAB_BR" up
      ip -n "$ns" addr add "$(lb_addr)/16" dev eth0
      ip -n "$ns" link set lo up
      ip -n "$ns" link set eth0 up
      lb_start
      echo "lab: load balancer on $(lb_addr):6443 in front of the masters (log $LAB_DIR/lb/lb.log)"
      ;;
    stop)   # the balancer process down (its address stays: connections are refused)
      lb_running || die "lb: the balancer is not running"
      kill -TERM "$(cat "$LAB_DIR/lb/pid")"; rm -f "$LAB_DIR/lb/pid"
      ;;
    start)
      lb_running && die "lb: the balancer is already running"
      [ -e "/run/netns/$ns" ] || die "lb: no $ns (scripts/lab up --lb)"
      lb_start
      ;;
    *) die "usage: scripts/lab lb up|stop|start [--dir DIR]" ;;
  esac
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  lb) shift; cmd_lb "$@" ;;
  down) shift; cmd_down "$@" ;;
  exec) shift; cmd_exec "$@" ;;
  fault) shift; cmd_fault "$@" ;;
  list) shift; cmd_list "$@" ;;
  check) shift; cmd_check "$@" ;;
  _mkhost) LAB_DIR=$(realpath -m "$LAB_DIR"); OPT_DIR=$LAB_DIR; cmd_mkhost "$2" "$3" ;;
  _init) OPT_DIR=$LAB_DIR; cmd_init "$2" "$3" ;;
  *) sed -n '2,27p' "$SELF" >&2; exit 2 ;;
esac
