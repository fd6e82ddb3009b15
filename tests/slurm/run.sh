#!/usr/bin/env bash
# A real Slurm test of `cnr sweep --shard` and `cnr sweep merge`: a one-node cluster on this
# machine (this host as controller and node), the job array of examples/slurm/sweep.sbatch with 4
# shards of a small sweep, the merge, and a comparison with the same sweep run unsharded: the rows
# must be identical (order and the timing column aside).
#
# Installs Debian's slurmd, slurmctld, slurm-client and munge when `sbatch` is missing (as root,
# as CI runs), starts munged, slurmctld and slurmd with a configuration of its own in a temporary
# folder, and stops exactly the processes it started, by their process ids.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing Slurm and munge from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        slurmd slurmctld slurm-client munge >/dev/null
fi

cargo build --quiet
CNR="$PWD/target/debug/cnr"
WORK=$(mktemp -d)
PIDS=()
stop() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap stop EXIT

NODE=$(hostname -s)
mkdir -p "$WORK/state" "$WORK/spool" "$WORK/munge"
# munge's key: the package's, or one of our own.
KEY=/etc/munge/munge.key
if [ ! -r "$KEY" ]; then
    KEY="$WORK/munge/munge.key"
    dd if=/dev/urandom bs=1 count=1024 of="$KEY" status=none
    chmod 400 "$KEY"
fi
munged --foreground --force --key-file="$KEY" --socket="$WORK/munge/munge.socket" \
    --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/seed" \
    --log-file="$WORK/munge/munged.log" >"$WORK/munged.out" 2>&1 &
PIDS+=($!)

# Ports of our own, so that a Slurm already on this machine is not disturbed; loopback addresses,
# so that nothing depends on how the host name resolves.
cat >"$WORK/slurm.conf" <<CONF
ClusterName=cnrtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=26817
SlurmdPort=26818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$WORK/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/slurmctld.pid
SlurmdPidFile=$WORK/slurmd.pid
SlurmctldLogFile=$WORK/slurmctld.log
SlurmdLogFile=$WORK/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$WORK/slurm.conf"
for _ in $(seq 50); do [ -S "$WORK/munge/munge.socket" ] && break; sleep 0.1; done
slurmctld -D -i >"$WORK/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -N "$NODE" >"$WORK/slurmd.out" 2>&1 &
PIDS+=($!)
logs() { tail -n 20 "$WORK"/*.out "$WORK"/*.log 2>/dev/null || true; }
for _ in $(seq 100); do
    sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
    sleep 0.2
done
sinfo -h -o "%P %T %D" | grep -qE 'idle|mixed' || { echo "the node did not come up"; logs; exit 1; }

# The sweep: small, with the baseline, so that both methods' rows cross the shards.
export CNR MODEL=examples/params_relu.cnr OUT="$WORK/out" SHARDS=4
export SWEEP_ARGS="--ratio 1,4,8 --param d=6 --param K=4 --trials 5 --baseline gd"
echo "== sbatch --array=0-3 examples/slurm/sweep.sbatch"
timeout 600 sbatch --wait --array=0-3 --chdir="$PWD" --output="$WORK/task-%a.out" examples/slurm/sweep.sbatch \
    || { echo "the job array failed"; logs; cat "$WORK"/task-*.out; exit 1; }
for k in 0 1 2 3; do
    [ -s "$OUT/shard-$k/results.csv" ] || { echo "shard $k wrote no results"; cat "$WORK"/task-*.out; exit 1; }
done
"$CNR" sweep merge "$OUT"/shard-* --out "$OUT/merged"
# shellcheck disable=SC2086
"$CNR" sweep "$MODEL" $SWEEP_ARGS --out "$OUT/whole" >/dev/null

# The rows without the timing column, sorted.
rows() {
    awk -F, 'NR == 1 { for (k = 1; k <= NF; k++) if ($k == "solve_seconds") t = k; next }
             { line = ""; for (k = 1; k <= NF; k++) if (k != t) line = line $k ","; print line }' "$1" | sort
}
if ! diff <(rows "$OUT/merged/results.csv") <(rows "$OUT/whole/results.csv"); then
    echo "FAILED: the merged shards differ from the unsharded sweep"
    exit 1
fi
count=$(rows "$OUT/whole/results.csv" | wc -l)
[ "$count" -eq 30 ] || { echo "FAILED: $count rows, expected 3 ratios × 5 trials × 2 methods = 30"; exit 1; }
cmp "$OUT/merged/summary.csv" "$OUT/whole/summary.csv"
echo "slurm: 4 shards on a one-node cluster, merged: $count rows identical to the unsharded sweep"
echo "1 passed, 0 failed"
