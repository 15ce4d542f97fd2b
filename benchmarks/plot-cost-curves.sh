#!/usr/bin/env bash
# Issue 15's cost curves: runs the three cost benchmarks into JMH JSON under benchmarks/plots/json
# and draws benchmarks/plots/*.png from it (io.dlm.benchmarks.cost.CostPlots, XChart).
#
#   benchmarks/plot-cost-curves.sh              # run everything (35 to 45 minutes at load 15), then draw
#   benchmarks/plot-cost-curves.sh --plot-only  # only draw again from the JSON already there
#   benchmarks/plot-cost-curves.sh held waiters # run some curves only: held, waiters, keepalive
#
# Needs the shaded jar (mvn -B -o package -pl benchmarks -DskipTests), PostgreSQL as the JDBC
# benchmarks use it (-Ddlm.bench.jdbc.url, default jdbc:postgresql://127.0.0.1:5432/test), and the
# etcd and redis-server binaries; etcd, Redis and ZooKeeper servers are started per trial on free
# ports. The waiters curve runs on JDK 25 (virtual threads): DLM_JDK25_HOME, else Temurin 25's
# usual place. The load average is written beside the JSON before and after each run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jar=benchmarks/target/benchmarks.jar
json=benchmarks/plots/json
jdk25="${DLM_JDK25_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
prof=(-prof io.dlm.benchmarks.cost.CostProfiler)

if [[ ! -f "$jar" ]]; then
  echo "No $jar: build it with mvn -B -o package -pl benchmarks -DskipTests" >&2
  exit 1
fi

load() {
  echo "$(date -u '+%F %T') $1: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$json/load.txt"
}

# One JMH run into $json/<name>.json: run <name> <java> <jmh arguments...>
run() {
  local name=$1 java=$2
  shift 2
  load "$name start"
  "$java" -jar "$jar" "$@" "${prof[@]}" -rf json -rff "$json/$name.json" | tee "$json/$name.log"
  load "$name end"
}

curves=("$@")
if [[ ${#curves[@]} -eq 0 ]]; then
  curves=(held waiters keepalive)
fi
if [[ ${curves[0]} != --plot-only ]]; then
  mkdir -p "$json"
  for curve in "${curves[@]}"; do
    case $curve in
      held)
        # To a million on the in-memory backend, Redis and PostgreSQL; etcd (a lease grant and a
        # transaction, each a synced Raft write, per lock) and ZooKeeper (its whole data tree in
        # the server's heap) stop at 100,000: see the README.
        run held-fast java io.dlm.benchmarks.cost.HeldLocksBenchmark \
          -p engine=MEMORY,REDIS,POSTGRESQL -p heldLocks=1000,10000,100000,1000000 \
          -f 1 -wi 2 -w 1s -i 3 -r 1s -jvmArgsAppend -Xmx4g
        run held-etcd java io.dlm.benchmarks.cost.HeldLocksBenchmark \
          -p engine=ETCD -p heldLocks=1000,10000,100000 -f 1 -wi 2 -w 1s -i 3 -r 1s -jvmArgsAppend -Xmx4g
        run held-zookeeper java io.dlm.benchmarks.cost.HeldLocksBenchmark \
          -p engine=ZOOKEEPER -p heldLocks=1000,10000,100000 -f 1 -wi 2 -w 1s -i 3 -r 1s -jvmArgsAppend -Xmx4g
        ;;
      waiters)
        run waiters "$jdk25/bin/java" 'io.dlm.benchmarks.cost.WaitersCurveBenchmark.handOffThroughTheQueue$' \
          -f 1 -wi 1 -i 3
        ;;
      keepalive)
        run keepalive java io.dlm.benchmarks.cost.KeptAliveLeasesBenchmark -f 1 -wi 1 -i 2
        ;;
      *)
        echo "unknown curve '$curve' (held, waiters, keepalive, or --plot-only)" >&2
        exit 2
        ;;
    esac
  done
fi
java -Djava.awt.headless=true -cp "$jar" io.dlm.benchmarks.cost.CostPlots "$json" benchmarks/plots
