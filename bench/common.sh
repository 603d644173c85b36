# Shared by the benchmarks (sourced, after WORK is set): builds the service, resolves the test classpath (the Kafka
# broker and the origin run from it), makes a random source file of SIZE (when SIZE is set) with its SHA-256 in
# EXPECTED, and stops every process added to `pids` when the script exits.
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
