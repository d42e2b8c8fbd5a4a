#!/usr/bin/env bash
# Weak scaling of the Spark engine on this machine and the model calibrated on it (dev.attend.spark.ScalingBench).
# Usage: bench/spark/scaling.sh [OUT_DIR [L1 [LONG [HEADS [D]]]]]   (default: bench-out/spark 65536 262144 1 128)
# Builds attend-spark if needed; runs nothing else meanwhile, the figures are ratios within this one run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
JAVA_HOME="$(./attend --print-jdk | sed -n 's/^JDK: \([^ ]*\) .*/\1/p')"
export JAVA_HOME
[[ -f attend-spark/target/classpath.txt ]] || mvn -B -q -DskipTests package -pl attend-spark -am
OUT="${1:-bench-out/spark}"
# local-cluster executors are started from this JVM's classpath; these stand in for a Spark installation.
export SPARK_SCALA_VERSION=2.13 SPARK_TESTING=1
exec "$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector $(cat attend-spark/target/jvm-options.txt) -Xmx6g -Dattend.threads=1 \
    -cp "$(cat attend-spark/target/classpath.txt)" dev.attend.spark.ScalingBench "$OUT" "${@:2}"
