#!/usr/bin/env bash
# Slow-tail benchmark: one connection of eight runs at a tenth of the others' speed. Downloads a random file of SIZE
# (default 256M) through the packaged service, RUNS times (default 3), from a local origin that sends RATE bytes/s per
# connection (default 8 MiB/s) and RATE/10 to the first connection of each run. Reports, from the origin's clock, the
# time from the first body byte to the last and the share of it the last 5 % of the bytes took.
# Needs: JDK 17+, Maven, kcat, curl. Usage: bench/slow-tail.sh [SIZE] [RUNS] [RATE]
# SERVICE_OPTS adds JVM options to the service, e.g. SERVICE_OPTS=-Ddownloader.tail.min-split-size=0 (no tail help).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-256M}
RUNS=${2:-3}
RATE=${3:-8388608}
WORK=./target/bench-tail
KAFKA_PORT=19093
ORIGIN_PORT=18081
rm -rf "$WORK" && mkdir -p "$WORK"

source bench/common.sh

java -cp "$CP" dev.downloader.testsupport.KafkaBroker $KAFKA_PORT "$WORK/kafka" > "$WORK/kafka.log" 2>&1 &
pids+=($!)
java -Xmx256m -cp "$CP" dev.downloader.testsupport.TestOrigin "$WORK/source.bin" $ORIGIN_PORT "$RATE" $((RATE / 10)) \
  > "$WORK/origin.log" 2>&1 &
pids+=($!)
timeout 120 bash -c "until grep -q ready '$WORK/kafka.log' && grep -q serving '$WORK/origin.log'; do sleep 0.5; done"

# shellcheck disable=SC2086
start_service "$WORK/service.log" -Xmx256m ${SERVICE_OPTS:-}
curl -s "http://127.0.0.1:$ORIGIN_PORT/timeline" > /dev/null

outcome() { kcat -C -b localhost:$KAFKA_PORT -t "$1" -o beginning -e -q 2>/dev/null | grep "\"$2\"" || true; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1)"
echo "file: $(stat -c %s "$WORK/source.bin") bytes, 8 connections at $RATE B/s, the first one at $((RATE / 10)) B/s"
for run in $(seq 1 "$RUNS"); do
  id="tail-$run-$$"
  echo "{\"id\":\"$id\",\"url\":\"http://127.0.0.1:$ORIGIN_PORT/file.bin\",\"connections\":8,\"checksum\":{\"algorithm\":\"SHA-256\",\"value\":\"$EXPECTED\"}}" \
    | kcat -P -b localhost:$KAFKA_PORT -t downloads.requests -k "$id"
  timeout 600 bash -c "until [ -n \"\$(kcat -C -b localhost:$KAFKA_PORT -t downloads.results -o beginning -e -q 2>/dev/null | grep '\"$id\"')\$(kcat -C -b localhost:$KAFKA_PORT -t downloads.dlq -o beginning -e -q 2>/dev/null | grep '\"$id\"')\" ]; do sleep 0.2; done"
  RESULT=$(outcome downloads.results "$id")
  TIMELINE=$(curl -s "http://127.0.0.1:$ORIGIN_PORT/timeline")
  if ! echo "$RESULT" | grep -q "\"sha256\":\"$EXPECTED\""; then
    echo "run $run: FAILED: $(outcome downloads.dlq "$id")"
    exit 1
  fi
  total=$(echo "$TIMELINE" | sed -E 's/.*firstToLastMs=([0-9]+).*/\1/')
  tail=$(echo "$TIMELINE" | sed -E 's/.*last5PercentMs=([0-9]+).*/\1/')
  chunks=$(echo "$RESULT" | sed -E 's/.*"chunks":([0-9]+).*/\1/')
  echo "run $run: first to last byte ${total} ms, last 5 % of the bytes ${tail} ms ($((100 * tail / total)) %), chunks $chunks; $TIMELINE"
done
