# Shared by the benchmarks (sourced, after WORK is set): builds the service, resolves the test classpath (the Kafka
# broker and the origin run from it), makes a random source file of SIZE (when SIZE is set) with its SHA-256 in
# EXPECTED, stops every process added to `pids` when the script exits, and starts the packaged service.
mvn -B -q -DskipTests package
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
CP="target/test-classes:target/classes:$(cat "$WORK/cp.txt")"

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
  "${JAVA:-java}" -Dkafka.bootstrap.servers=localhost:$KAFKA_PORT -Ddownloader.data-dir="${DATA_DIR:-$WORK/data}" \
    -Ddownloader.origin.allow-private=true -Dquarkus.http.port=0 "$@" \
    -jar target/quarkus-app/quarkus-run.jar > "$log" 2>&1 &
  SERVICE=$!
  pids+=($SERVICE)
  timeout 120 bash -c "until grep -qs 'started in' '$log'; do kill -0 $SERVICE 2>/dev/null || exit 1; sleep 0.2; done" \
    || { echo "service failed to start:"; tail -20 "$log"; exit 1; }
}
