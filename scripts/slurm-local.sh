#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine (Debian packages, no systemd), for the
# cluster tests and for trying profiles/slurm-local by hand. Run as root.
#
#   bash scripts/slurm-local.sh [start|stop|status]
#
# start: installs what is missing (munge, slurmctld, slurmd, slurm-client, and for `sacct`
#   slurmdbd + mariadb), writes the configs, starts every daemon that is not running, and waits
#   until the node is idle. Idempotent. Daemons it starts are recorded in $STARTED;
# stop: stops exactly those daemons (by pid), nothing that was running before.
#
# Knobs: SLURM_LOCAL_CPUS (default nproc), SLURM_LOCAL_GPUS (fake GPU GRES, default 2, so GPU
# requests are scheduled: no device is behind them), SLURM_LOCAL_MINJOBAGE (default 300).
# The node is named "localhost" whatever the hostname (slurmd -N).
set -euo pipefail

ACTION=${1:-start}
CLUSTER=localcluster
NODE=localhost
CONF=/etc/slurm
STATE=/var/lib/slurm
LOGS=/var/log/slurm
STARTED=/run/slurm-local.started
DB_PASS=slurm-local-test

say() { printf '[slurm-local %(%H:%M:%S)T] %s\n' -1 "$*"; }
die() { say "error: $*" >&2; exit 1; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
until_ok() { # until_ok SECONDS WHAT COMMAND...
  local end=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || die "timed out after ${end}s waiting for $what"
    sleep 0.3
  done
}
started() { echo "$1 $2" >> "$STARTED"; } # name pidfile

install() {
  local want=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server) missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  command -v apt-get >/dev/null || die "apt-get is needed to install ${missing[*]}"
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

write_configs() {
  local cpus=${SLURM_LOCAL_CPUS:-$(nproc)} gpus=${SLURM_LOCAL_GPUS:-2} mem
  mem=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
  mkdir -p "$CONF" "$STATE/slurmctld" "$STATE/slurmd" "$LOGS" "$STATE/fakegpu"
  local gres=""
  : > "$CONF/gres.conf.new"
  if [ "$gpus" -gt 0 ]; then
    # a gpu GRES needs File= on a character device: /dev/null's numbers stand in for GPUs
    for ((i = 0; i < gpus; i++)); do
      [ -c "$STATE/fakegpu/nvidia$i" ] || mknod "$STATE/fakegpu/nvidia$i" c 1 3
    done
    echo "NodeName=$NODE Name=gpu File=$STATE/fakegpu/nvidia[0-$((gpus - 1))]" > "$CONF/gres.conf.new"
    gres=" Gres=gpu:$gpus"
  fi
  cat > "$CONF/slurm.conf.new" <<CONFIG
# written by scripts/slurm-local.sh: a single-node test cluster
ClusterName=$CLUSTER
SlurmctldHost=localhost
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$STATE/slurmctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
MpiDefault=none
# no cgroups: requests are scheduled, not enforced
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmdParameters=config_overrides
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=${SLURM_LOCAL_MINJOBAGE:-300}
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoreFlags=job_comment
JobAcctGatherType=jobacct_gather/linux
$( [ "$gpus" -gt 0 ] && echo "GresTypes=gpu" )
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem$gres State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONFIG
  CHANGED=0
  for f in slurm.conf gres.conf; do
    if cmp -s "$CONF/$f.new" "$CONF/$f"; then rm "$CONF/$f.new"
    else mv "$CONF/$f.new" "$CONF/$f"; CHANGED=1; fi
  done
}

start_munge() {
  [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  if ! (munge -n | unmunge) >/dev/null 2>&1; then
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged
    until_ok 20 munged bash -c 'munge -n | unmunge'
    started munged /run/munge/munged.pid
  fi
}

start_accounting() {
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  if ! mariadb-admin --socket=/run/mysqld/mysqld.sock ping >/dev/null 2>&1; then
    [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    say "starting mariadbd"
    setsid /usr/sbin/mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=127.0.0.1 \
      --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid \
      >>/var/log/slurm/mariadbd.log 2>&1 </dev/null &
    until_ok 60 mariadbd mariadb-admin --socket=/run/mysqld/mysqld.sock ping
    started mariadbd /run/mysqld/mysqld.pid
  fi
  mariadb --socket=/run/mysqld/mysqld.sock -e "
    CREATE DATABASE IF NOT EXISTS slurm_acct_db;
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  cat > "$CONF/slurmdbd.conf" <<CONFIG
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=/run/slurmdbd.pid
LogFile=$LOGS/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageLoc=slurm_acct_db
StorageUser=slurm
StoragePass=$DB_PASS
CONFIG
  chmod 600 "$CONF/slurmdbd.conf"  # slurmdbd refuses a readable config
  if ! alive /run/slurmdbd.pid; then
    say "starting slurmdbd"; slurmdbd; started slurmdbd /run/slurmdbd.pid
  fi
  until_ok 60 slurmdbd sacctmgr -n show cluster
  sacctmgr -n -P show cluster format=cluster | grep -qx "$CLUSTER" \
    || sacctmgr -i add cluster "$CLUSTER" >/dev/null
}

start_slurm() {
  if [ "$CHANGED" = 1 ]; then  # a changed node definition needs fresh daemons
    for d in slurmd slurmctld; do
      alive /run/$d.pid && { kill "$(cat /run/$d.pid)"; until_ok 20 "$d to stop" bash -c "! kill -0 $(cat /run/$d.pid)"; }
    done
  fi
  if ! alive /run/slurmctld.pid; then
    say "starting slurmctld"; slurmctld; started slurmctld /run/slurmctld.pid
  fi
  until_ok 30 slurmctld scontrol ping
  if ! alive /run/slurmd.pid; then
    say "starting slurmd"; slurmd -N "$NODE"; started slurmd /run/slurmd.pid
  fi
  local end=$((SECONDS + 60)) state=""
  while :; do
    state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null | head -1 || true)
    case "$state" in
      idle | mixed | allocated) break ;;
      down* | drain* | fail*) scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    [ $SECONDS -lt $end ] || die "node not idle (state '$state'); see $LOGS/slurmd.log"
    sleep 0.3
  done
}

do_stop() {
  [ -f "$STARTED" ] || { say "nothing started by this script is recorded"; return; }
  # stop in reverse start order, each by the pid in its pid file
  tac "$STARTED" | while read -r name pidfile; do
    if alive "$pidfile"; then
      local pid; pid=$(cat "$pidfile")
      say "stopping $name ($pid)"; kill "$pid" || true
      for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" || true
    fi
  done
  rm -f "$STARTED"
}

case "$ACTION" in
  start)
    [ "$(id -u)" = 0 ] || die "run as root"
    t0=$SECONDS
    install; write_configs; start_munge; start_accounting; start_slurm
    say "node $NODE ready in $((SECONDS - t0)) s"
    ;;
  stop) do_stop ;;
  status)
    for d in /run/munge/munged.pid /run/mysqld/mysqld.pid /run/slurmdbd.pid /run/slurmctld.pid /run/slurmd.pid; do
      alive "$d" && echo "running: $d ($(cat "$d"))" || echo "not running: $d"
    done
    sinfo 2>/dev/null || true
    ;;
  *) die "usage: $0 [start|stop|status]" ;;
esac
