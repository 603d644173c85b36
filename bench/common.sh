# Shared by the benchmarks (sourced, after WORK is set): builds the service, resolves the test classpath (the Kafka
# broker and the origin run from it), makes a random source file of SIZE (when SIZE is set) with its SHA-256 in
# EXPECTED, stops every process added to `pids` when the script exits, and starts the packaged service.
# SKIP_BUILD=1 runs the jar as it is. AOT=1 (JAVA on JDK 25 or later) starts every service from an AOT cache made by
# a training run that only starts the service and stops it (no download of any benchmark).
[ -n "${SKIP_BUILD:-}" ] || mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
CP="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"

AOT_OPTS=()
if [ -n "${AOT:-}" ]; then
  # the training run: started (no broker needed), stopped; the JVM writes the cache as it exits
  "${JAVA:-java}" -XX:AOTCacheOutput="$WORK/app.aot" -Ddownloader.data-dir="$WORK/aot-training" \
    -Dquarkus.http.port=0 -jar target/quarkus-app/quarkus-run.jar > "$WORK/aot-training.log" 2>&1 &
  training=$!
  timeout 120 bash -c "until grep -qs 'started in' '$WORK/aot-training.log'; do sleep 0.2; done" || true
  kill $training 2>/dev/null || true; wait $training || true
  [ -s "$WORK/app.aot" ] || { echo "AOT training run failed:"; tail -5 "$WORK/aot-training.log"; exit 1; }
  AOT_OPTS=(-XX:AOTCache="$WORK/app.aot")
fi

if [ -n "${SIZE:-}" ]; then
  head -c "$SIZE" /dev/urandom > "$WORK/source.bin"
  EXPECTED=$(sha256sum "$WORK/source.bin" | cut -d' ' -f1)
  BYTES=$(stat -c %s "$WORK/source.bin")
fi

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

# start_service <log> [java options...]: the packaged service, run by $JAVA (java on the PATH by default), on the
# benchmark's broker (KAFKA_PORT) and data directory (DATA_DIR, by default $WORK/data), HTTP on a free port; waits until it has started
# (120 s at most); its pid in SERVICE
start_service() {
  local log=$1; shift
  "${JAVA:-java}" "${AOT_OPTS[@]}" -Dkafka.bootstrap.servers=localhost:$KAFKA_PORT -Ddownloader.data-dir="${DATA_DIR:-$WORK/data}" \
    -Ddownloader.origin.allow-private=true -Dquarkus.http.port=0 "$@" \
    -jar target/quarkus-app/quarkus-run.jar > "$log" 2>&1 &
  SERVICE=$!
  pids+=($SERVICE)
  timeout 120 bash -c "until grep -qs 'started in' '$log'; do kill -0 $SERVICE 2>/dev/null || exit 1; sleep 0.2; done" \
    || { echo "service failed to start:"; tail -20 "$log"; exit 1; }
}
