#!/usr/bin/env bash
# The database's share of a flood of small files (StoreBench): ROUNDS rounds of FILES downloads through the service's
# statements on the embedded H2, ACTIVE at a time, their outcomes flushed GROUP at a time; H2_SETTINGS are added to the
# service's H2 URL (a new database: settings that apply at creation apply). Prints CPU and wall time per round, their
# sums over the first five rounds and over the rest, and the size of the database's file at the end.
# Needs a JDK and Maven; uses target/bench-store/.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=target/bench-store
ROUNDS=${ROUNDS:-25} FILES=${FILES:-1000} ACTIVE=${ACTIVE:-16} GROUP=${GROUP:-1}
rm -rf "$WORK" && mkdir -p "$WORK"
[ -n "${SKIP_BUILD:-}" ] || mvn -B -q -DskipTests test-compile
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $("${JAVA:-java}" -version 2>&1 | head -1)"
echo "rounds $ROUNDS x $FILES downloads, $ACTIVE at a time, outcomes flushed $GROUP at a time, H2 settings: '${H2_SETTINGS:-}'"
"${JAVA:-java}" -Xmx256m -cp "target/test-classes:target/classes:$(cat "$WORK/cp.txt")" \
  dev.downloader.testsupport.StoreBench "$WORK/db" "$ROUNDS" "$FILES" "$ACTIVE" "$GROUP" "${H2_SETTINGS:-}" \
  2>&1 | grep '^round' | tee "$WORK/rounds.txt"
awk '{ if (NR <= 5) { c1 += $6; w1 += $9 } else { c2 += $6; w2 += $9; n++ } }
  END { printf "rounds 1-5: CPU %.1f s, wall %.1f s; rounds 6-%d: CPU %.1f s, wall %.1f s (%.2f s of CPU per %s downloads)\n",
        c1, w1, NR, c2, w2, n ? c2 / n : 0, '"$FILES"' }' "$WORK/rounds.txt"
echo "database file: $(du -sh "$WORK/db" | cut -f1)"
