#!/usr/bin/env bash
# Memory benchmark: downloads a file of SIZE (default 1G) from a local Range-serving origin through the packaged
# service running with -Xmx128m, and reports heap after GC (from the GC log), peak RSS, time and throughput.
# Needs: JDK 17+, Maven, kcat. Usage: bench/memory.sh [SIZE] [HEAP]   e.g. bench/memory.sh 1G 128m
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-1G}
HEAP=${2:-128m}
WORK=./target/bench
KAFKA_PORT=19092
ORIGIN_PORT=18080
rm -rf "$WORK" && mkdir -p "$WORK"

source bench/common.sh

java -cp "$CP" dev.downloader.testsupport.KafkaBroker $KAFKA_PORT "$WORK/kafka" > "$WORK/kafka.log" 2>&1 &
pids+=($!)
java -Xmx256m -cp "$CP" dev.downloader.testsupport.TestOrigin "$WORK/source.bin" $ORIGIN_PORT > "$WORK/origin.log" 2>&1 &
pids+=($!)
timeout 120 bash -c "until grep -q ready '$WORK/kafka.log' && grep -q serving '$WORK/origin.log'; do sleep 0.5; done" \
  || { echo "broker or origin failed to start:"; tail -5 "$WORK/kafka.log" "$WORK/origin.log"; exit 1; }

start_service "$WORK/service.log" -Xmx"$HEAP" -Xlog:gc:file="$WORK/gc.log"

START=$(date +%s.%N)
echo "{\"id\":\"bench-1\",\"url\":\"http://127.0.0.1:$ORIGIN_PORT/file.bin\",\"checksum\":{\"algorithm\":\"SHA-256\",\"value\":\"$EXPECTED\"}}" \
  | kcat -P -b localhost:$KAFKA_PORT -t downloads.requests -k bench-1
outcome() { kcat -C -b localhost:$KAFKA_PORT -t "$1" -o beginning -e -q 2>/dev/null | grep bench-1 || true; }
# a download that takes longer than TIMEOUT seconds (default 1800) is reported as such, never waited for without end
DEADLINE=$(( $(date +%s) + ${TIMEOUT:-1800} ))
until [ -n "$(outcome downloads.results)$(outcome downloads.dlq)" ]; do
  [ "$(date +%s)" -lt "$DEADLINE" ] || { echo "no outcome within ${TIMEOUT:-1800} s"; tail -5 "$WORK/service.log"; exit 1; }
  sleep 0.2
done
END=$(date +%s.%N)
PEAK_RSS_KB=$(awk '/VmHWM/ {print $2}' /proc/$SERVICE/status)
RESULT=$(outcome downloads.results)

# heap in use after each GC, from lines like "Pause Young (Normal) (G1 Evacuation Pause) 60M->12M(128M)"
MAX_AFTER_GC=$(grep -oE '[0-9]+M->[0-9]+M' "$WORK/gc.log" | cut -d'>' -f2 | tr -d M | sort -n | tail -1)
SECONDS_TAKEN=$(echo "$END - $START" | bc)
echo "machine:         $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(java -version 2>&1 | head -1)"
echo "file:            $BYTES bytes"
echo "heap limit:      -Xmx$HEAP"
echo "heap after GC:   max ${MAX_AFTER_GC:-?} MiB over $(grep -c Pause "$WORK/gc.log") GCs"
echo "peak RSS:        $((PEAK_RSS_KB / 1024)) MiB"
echo "result line:     $RESULT"
echo "time:            ${SECONDS_TAKEN}s ($(echo "$BYTES / $SECONDS_TAKEN / 1048576" | bc) MiB/s)"
if [ -n "$RESULT" ] && echo "$RESULT" | grep -q "\"sha256\":\"$EXPECTED\""; then
  echo "result:          COMPLETED, sha256 verified"
else
  echo "result:          FAILED: $(outcome downloads.dlq)"
  exit 1
fi
