#!/usr/bin/env bash
# The service against aria2c (and curl) on one nginx origin, in one run: every case end to end through Kafka
# (request produced -> outcome record), the others fetching the same files from the same nginx.
# Installs what it lacks from Debian (nginx-light, aria2, kcat, time); needs a JDK and Maven.
# Usage: bench/vs-aria2.sh            RUNS=3 CASES="throttled big small wide" HEAP=256m WARM_FLOODS=8 DB=h2 by default
#        CASES=small RUNS=5 SERVICE_OPTS="-Ddownloader.max-active-downloads=8" bench/vs-aria2.sh
#        JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java bench/vs-aria2.sh    (the service on another JDK)
#        CASES=big WRITE_DIR=/dev/shm bench/vs-aria2.sh    (every tool writes to tmpfs, under /dev/shm/bench-aria2)
#        JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java AOT=1 bench/vs-aria2.sh    (the service from an AOT cache)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
CASES=${CASES:-"throttled big small wide"}
HEAP=${HEAP:-256m}
SMALL_FILES=${SMALL_FILES:-1000}
WARM_FLOODS=${WARM_FLOODS:-8}   # floods the warm service takes; its last RUNS are timed (at least RUNS)
[ "$WARM_FLOODS" -ge "$RUNS" ] || { echo "WARM_FLOODS ($WARM_FLOODS) must be at least RUNS ($RUNS)"; exit 1; }
WORK=$PWD/target/bench-aria2
# where the tools write what they fetch (the service's data directory, aria2c's and curl's output): $WORK, or a
# directory of the script's own under WRITE_DIR (another filesystem), removed at the end
WRITES=$WORK
[ -z "${WRITE_DIR:-}" ] || WRITES=$WRITE_DIR/bench-aria2
DATA_DIR=$WRITES/data
KAFKA_PORT=19094
PLAIN_PORT=18090    # nginx, unthrottled
SLOW_PORT=18091     # nginx, limit_rate 8m per connection
TIMEOUT=${TIMEOUT:-600}

missing=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v aria2c >/dev/null || missing+=(aria2)
command -v kcat >/dev/null || missing+=(kcat)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

[ ! -d "$WORK" ] || { rm -rf "$WORK"; REMOVED_AT=$(date +%s); }
[ "$WRITES" = "$WORK" ] || rm -rf "$WRITES"
mkdir -p "$WORK/www/small" "$WORK/nginx" "$WRITES/set-aside"
source bench/common.sh

# What is the machine's and not the tools' is kept out of the figures:
# - every timed run starts with nothing left to write back (sync): a run that fsyncs its files (the service) would
#   otherwise wait behind gigabytes an earlier case wrote;
# - no run pays for files an earlier one deleted. On ext4 without a journal (these VMs' volume), the inode allocator
#   looks up every inode freed in the last minute and skips it (recently_deleted in fs/ext4/ialloc.c): a thousand
#   files deleted between two runs made each file creation of the next run cost 0.1-0.6 ms of CPU, twice per
#   download for the service (part file and meta/<id>.json), once for aria2c. So the files of small-file runs are set
#   aside (renamed) until the script ends, and the runs start a minute after the previous script's files were removed.
#   A run's directory of a few big files is removed at once (few inodes, gigabytes).
clear_run() {   # clear_run <dir>: set aside under $WRITES/set-aside when it holds over 100 files, else removed
  [ -e "$1" ] || return 0
  if [ "$(find "$1" -type f | head -101 | wc -l)" -gt 100 ]; then mv "$1" "$(mktemp -d "$WRITES/set-aside/XXXXXX")/"
  else rm -rf "$1"; fi
}
trap 'cleanup; rm -rf "$WRITES/set-aside"; [ "$WRITES" = "$WORK" ] || rm -rf "$WRITES"' EXIT

echo "making the files (1 GiB, 256 MiB, $SMALL_FILES x 64 KiB) ..."
head -c 1G /dev/urandom > "$WORK/www/1g.bin"
head -c 256M /dev/urandom > "$WORK/www/256m.bin"
for i in $(seq -w 1 "$SMALL_FILES"); do head -c 64K /dev/urandom > "$WORK/www/small/f$i.bin"; done
(cd "$WORK/www" && sha256sum 1g.bin 256m.bin small/*.bin) > "$WORK/sums.txt"
sum_of() { awk -v f="$1" '$2 == f {print $1}' "$WORK/sums.txt"; }
WAIT_S=$(( ${REMOVED_AT:-0} + 61 - $(date +%s) ))
if [ "$WAIT_S" -gt 0 ]; then
  echo "waiting $WAIT_S s: the inodes of the previous run's files are a minute old then"
  sleep "$WAIT_S"
fi

cat > "$WORK/nginx/nginx.conf" <<EOF
$([ "$(id -u)" = 0 ] && echo "user root;")
daemon off;
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server { listen 127.0.0.1:$PLAIN_PORT; root $WORK/www; }
  # limit_rate paces each request by delaying after every write, so the last write of a request is free. With
  # sendfile_max_chunk at its default (2m), every request's first 2 MiB arrived at once: 1 MiB and 2 MiB ranges were
  # not throttled at all, and more, shorter requests ran faster than the link. 64 KiB writes keep the limit per
  # connection whatever the request size (measured with curl -r: 8 MiB in 0.92 s, 1 MiB in 0.11 s).
  server { listen 127.0.0.1:$SLOW_PORT; root $WORK/www; limit_rate 8m; sendfile_max_chunk 64k; }
}
EOF
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2> "$WORK/nginx/stderr.log" &
pids+=($!)
java -cp "$CP" dev.downloader.testsupport.KafkaBroker $KAFKA_PORT "$WORK/kafka" > "$WORK/kafka.log" 2>&1 &
pids+=($!)
timeout 120 bash -c "until grep -q ready '$WORK/kafka.log'; do sleep 0.5; done" \
  || { echo "broker failed to start:"; tail -5 "$WORK/kafka.log"; exit 1; }
curl -fsS -o /dev/null "http://127.0.0.1:$PLAIN_PORT/256m.bin" -r 0-0 \
  || { echo "nginx failed to start:"; cat "$WORK/nginx/stderr.log" "$WORK/nginx/error.log"; exit 1; }

# every outcome, as "<record timestamp ms> <key> <value>", read from the start of both topics for the whole run
for topic in downloads.results downloads.dlq; do
  kcat -C -b localhost:$KAFKA_PORT -t $topic -o beginning -u -q -f '%T %k %s\n' > "$WORK/$topic.txt" 2>/dev/null &
  pids+=($!)
done
outcomes_of() { cat "$WORK/downloads.results.txt" "$WORK/downloads.dlq.txt" | grep -E "^[0-9]+ $1( |-)" || true; }
ms() { date +%s%3N; }

# DB=postgresql: the service keeps its state in a schema of its own on PostgreSQL (PG_URL, PG_USER), not in H2
PG_URL=${PG_URL:-jdbc:postgresql://127.0.0.1:5432/test}
PG_USER=${PG_USER:-postgres}
database_opts() {
  [ "${DB:-h2}" = postgresql ] || return 0
  local schema="bench_$1_$$"
  echo "-Dquarkus.datasource.active=false -Dquarkus.datasource.postgresql.jdbc.url=$PG_URL?currentSchema=$schema"
  echo "-Dquarkus.datasource.postgresql.username=$PG_USER -Dquarkus.datasource.postgresql.password="
  echo "-Dquarkus.flyway.postgresql.schemas=$schema"
  echo "$schema" >> "$WORK/schemas.txt"
}

start_case_service() {   # start_case_service <name> [-Dkey=value ...]: a fresh service, data dir and GC log per case
  local name=$1; shift
  clear_run "$DATA_DIR"
  # shellcheck disable=SC2046,SC2086
  start_service "$WORK/service-$name.log" -Xmx"$HEAP" -Xlog:gc:file="$WORK/gc-$name.log" $(database_opts "$name") \
    ${SERVICE_OPTS:-} "$@"
  SERVICE_NAME=$name
}
stop_service() {
  PEAK_RSS_MB=$(( $(awk '/VmHWM/ {print $2}' /proc/$SERVICE/status) / 1024 ))
  HEAP_AFTER_GC=$(grep -oE '[0-9]+M->[0-9]+M' "$WORK/gc-$SERVICE_NAME.log" | cut -d'>' -f2 | tr -d M | sort -n | tail -1)
  kill $SERVICE; wait $SERVICE 2>/dev/null || true
}
cpu_ticks() { awk '{print $14 + $15}' /proc/$SERVICE/stat; }
TICKS=$(getconf CLK_TCK)

# ours <tag> <requests file>: produces every request at once, waits for as many outcomes, checks that all
# completed; appends "<ms from produce to the last outcome's timestamp> <CPU s>" to $WORK/times-<tag>
ours() {
  local tag=$1 requests=$2 n t0 c0 deadline
  n=$(wc -l < "$requests")
  sync; t0=$(ms); c0=$(cpu_ticks)
  kcat -P -b localhost:$KAFKA_PORT -t downloads.requests -K '|' < "$requests"
  deadline=$(( $(date +%s) + TIMEOUT ))
  until [ "$(outcomes_of "$tag" | wc -l)" -ge "$n" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "$tag: no outcome within $TIMEOUT s"; tail -5 "$WORK/service-$SERVICE_NAME.log"; exit 1; }
    sleep 0.05
  done
  local done_ok last
  done_ok=$(outcomes_of "$tag" | grep -c '"status":"COMPLETED"' || true)
  [ "$done_ok" -eq "$n" ] || { echo "$tag: $done_ok of $n completed:"; outcomes_of "$tag" | grep -v COMPLETED | head -3; exit 1; }
  last=$(outcomes_of "$tag" | awk '{print $1}' | sort -n | tail -1)
  echo "$(( last - t0 )) $(echo "scale=2; ($(cpu_ticks) - $c0) / $TICKS" | bc)" >> "$WORK/times-${tag%-*}"
}
request() {   # request <id> <url> <target> <sha256> [connections]
  echo "$1|{\"id\":\"$1\",\"url\":\"$2\",\"target\":\"$3\",\"overwrite\":true,\"checksum\":{\"algorithm\":\"SHA-256\",\"value\":\"$4\"}${5:+,\"connections\":$5}}"
}
one_file() {   # one_file <tag> <url> <file under www> <connections>: RUNS downloads of it by the running service
  local tag=$1 url=$2 file=$3 connections=$4 r
  for r in $(seq "$RUNS"); do
    request "$tag-$r" "$url" "bench/$tag-$r/$file" "$(sum_of "$file")" "$connections" > "$WORK/requests.txt"
    ours "$tag-$r" "$WORK/requests.txt"; same_bytes "$DATA_DIR/bench/$tag-$r" "$file"
  done
}
same_bytes() {   # same_bytes <downloaded dir> <file under www>...: byte for byte, then cleared
  local dir=$1; shift
  for f; do cmp -s "$dir/$(basename "$f")" "$WORK/www/$f" || { echo "$dir/$(basename "$f") differs from $f"; exit 1; }; done
  clear_run "$dir"
}

small_flood() {   # small_flood <tag>: every small file requested at once from the running service, checked, cleared
  local tag=$1 f
  while read -r f; do
    request "$tag-$f" "http://127.0.0.1:$PLAIN_PORT/small/$f" "bench/$tag/$f" "$(sum_of "small/$f")"
  done < "$WORK/small-names.txt" > "$WORK/requests.txt"
  ours "$tag" "$WORK/requests.txt"; same_bytes "$DATA_DIR/bench/$tag" $(sed 's|^|small/|' "$WORK/small-names.txt")
}

# other <tag> <command...>: a client run by /usr/bin/time; appends "<ms> <CPU s> <max RSS KiB>"
other() {
  local tag=$1; shift
  clear_run "$WRITES/out" && mkdir -p "$WRITES/out"
  sync; local t0; t0=$(ms)
  /usr/bin/time -f '%U %S %M' -o "$WORK/time.txt" "$@" > "$WORK/client.log" 2>&1 \
    || { echo "$tag failed:"; tail -5 "$WORK/client.log"; exit 1; }
  local t1; t1=$(ms)
  read -r user sys rss < "$WORK/time.txt"
  echo "$(( t1 - t0 )) $(echo "$user + $sys" | bc) $rss" >> "$WORK/times-$tag"
}
ARIA=(aria2c -q --file-allocation=none --allow-overwrite=true --auto-file-renaming=false -d "$WRITES/out")

# figures: median and spread of column 1 (ms), median of column 2 (CPU s), max of column 3 (RSS KiB)
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
col() { awk -v c="$2" '{print $c}' "$WORK/times-$1"; }
secs() { printf '%.2f' "$(echo "scale=3; $1 / 1000" | bc)"; }
row() {   # row <case> <tool> <tag> <bytes or files> <unit: MiB/s|files/s> <reference tag or -> <rss MiB or -> <heap or ->
  local med lo hi cpu rate ratio rss
  med=$(col "$3" 1 | median); lo=$(col "$3" 1 | sort -n | head -1); hi=$(col "$3" 1 | sort -n | tail -1)
  cpu=$(printf '%.2f' "$(col "$3" 2 | median)")
  if [ "$5" = files/s ]; then rate=$(echo "$4 * 1000 / $med" | bc); else rate=$(echo "$4 * 1000 / $med / 1048576" | bc); fi
  if [ "$6" = - ]; then ratio=-; else ratio=$(printf '%.2f' "$(echo "scale=3; $med / $(col "$6" 1 | median)" | bc)"); fi
  rss=$7; [ "$rss" != from-time ] || rss=$(( $(col "$3" 3 | sort -n | tail -1) / 1024 ))
  printf '| %s | %s | %s s | %s–%s s | %s %s | %s | %s MiB | %s | %s s |\n' "$1" "$2" "$(secs "$med")" "$(secs "$lo")" \
    "$(secs "$hi")" "$rate" "$5" "$ratio" "$rss" "$8" "$cpu" >> "$WORK/table.md"
}

for case in $CASES; do
  case $case in
  throttled)   # 256 MiB, every connection limited to 8 MiB/s, 8 connections
    URL=http://127.0.0.1:$SLOW_PORT/256m.bin
    for r in $(seq "$RUNS"); do other aria2c-x8-throttled "${ARIA[@]}" -x8 -s8 -k1M "$URL"; done
    start_case_service throttled
    one_file throttled "$URL" 256m.bin 8
    stop_service
    row "256 MiB, 8 MiB/s per connection, 8 connections" "service (SHA-256 verified)" throttled $((256 << 20)) MiB/s aria2c-x8-throttled "$PEAK_RSS_MB" "${HEAP_AFTER_GC} MiB"
    row "" "aria2c -x8" aria2c-x8-throttled $((256 << 20)) MiB/s - from-time -
    ;;
  big)         # 1 GiB unthrottled, 8 connections; curl is one connection
    URL=http://127.0.0.1:$PLAIN_PORT/1g.bin
    for r in $(seq "$RUNS"); do other aria2c-x8-big "${ARIA[@]}" -x8 -s8 -k1M "$URL"; done
    for r in $(seq "$RUNS"); do other curl-big curl -fsS -o "$WRITES/out/1g.bin" "$URL"; done
    start_case_service big
    one_file big "$URL" 1g.bin 8
    stop_service
    row "1 GiB unthrottled, 8 connections" "service (SHA-256 verified)" big $((1 << 30)) MiB/s aria2c-x8-big "$PEAK_RSS_MB" "${HEAP_AFTER_GC} MiB"
    row "" "aria2c -x8" aria2c-x8-big $((1 << 30)) MiB/s - from-time -
    row "" "curl (1 connection)" curl-big $((1 << 30)) MiB/s aria2c-x8-big from-time -
    ;;
  small)       # SMALL_FILES x 64 KiB, all requested at once
    (cd "$WORK/www" && ls small) > "$WORK/small-names.txt"
    awk -v u="http://127.0.0.1:$PLAIN_PORT/small/" '{print u $1 "\n  out=" $1}' "$WORK/small-names.txt" > "$WORK/aria2-list.txt"
    awk -v u="http://127.0.0.1:$PLAIN_PORT/small/" -v d="$WRITES/out/" '{print "url = \"" u $1 "\"\noutput = \"" d $1 "\""}' \
      "$WORK/small-names.txt" > "$WORK/curl-list.txt"
    for r in $(seq "$RUNS"); do other aria2c-j16-small "${ARIA[@]}" -j16 -i "$WORK/aria2-list.txt"; done
    for r in $(seq "$RUNS"); do other curl-small curl -fsS -Z --parallel-max 16 -K "$WORK/curl-list.txt"; done
    # first a service that takes WARM_FLOODS floods: its last RUNS are the warm row (a service that has been running,
    # its JIT mostly settled). It also warms the broker, a fresh JVM here where a user's broker has been up for long: in the
    # first floods the broker's own JIT took 3-6 s of CPU per flood from the two cores the service runs on.
    start_case_service small-warm
    for w in $(seq "$WARM_FLOODS"); do
      small_flood "$([ "$w" -gt $((WARM_FLOODS - RUNS)) ] && echo small-warm || echo small-warmup)-$w"
    done
    stop_service
    WARM_RSS_MB=$PEAK_RSS_MB; WARM_HEAP=$HEAP_AFTER_GC
    # then a fresh service, as a user starts one: RUNS floods from its start
    start_case_service small
    for r in $(seq "$RUNS"); do small_flood "small-$r"; done
    stop_service
    row "$SMALL_FILES × 64 KiB, all requested at once" "service, fresh JVM (SHA-256 verified)" small "$SMALL_FILES" files/s aria2c-j16-small "$PEAK_RSS_MB" "${HEAP_AFTER_GC} MiB"
    row "" "service after $((WARM_FLOODS - RUNS)) × $SMALL_FILES files (SHA-256 verified)" small-warm "$SMALL_FILES" files/s aria2c-j16-small "$WARM_RSS_MB" "${WARM_HEAP} MiB"
    row "" "aria2c -j16" aria2c-j16-small "$SMALL_FILES" files/s - from-time -
    row "" "curl -Z (16 at once)" curl-small "$SMALL_FILES" files/s aria2c-j16-small from-time -
    ;;
  wide)        # 256 MiB at 8 MiB/s per connection: 1, 16, 32 and 64 connections (the host cap raised to 64)
    URL=http://127.0.0.1:$SLOW_PORT/256m.bin
    for r in $(seq "$RUNS"); do other aria2c-x16-wide "${ARIA[@]}" -x16 -s16 -k1M "$URL"; done
    # what the link gives a bare client with as many connections, curl fetching the file in ranges all at once: one
    # range per connection; and the service's own requests, the plan's 1 MiB ranges, each connection taking the next
    # (curl keeps its connections open): what the link allows the service's plan, whose waves let it hash the file
    # while it arrives
    curl_ranges() {   # curl_ranges <ranges>: the arguments for curl to fetch 256 MiB as that many equal ranges
      local size=$(( (256 << 20) / $1 )) i
      ranges=()
      for i in $(seq 0 $(($1 - 1))); do
        [ "$i" = 0 ] || ranges+=(--next)
        ranges+=(-f -r "$((i * size))-$(((i + 1) * size - 1))" -o "$WRITES/out/part$i" "$URL")
      done
    }
    for c in 32 64; do
      curl_ranges $c
      for r in $(seq "$RUNS"); do other curl-x$c-wide curl -sS -Z --parallel-max "$c" --parallel-immediate "${ranges[@]}"; done
      curl_ranges 256
      for r in $(seq "$RUNS"); do other curl-x$c-plan-wide curl -sS -Z --parallel-max "$c" --parallel-immediate "${ranges[@]}"; done
    done
    start_case_service wide -Ddownloader.max-connections-per-host=64
    for c in 1 16 32 64; do one_file "wide$c" "$URL" 256m.bin $c; done
    stop_service
    for c in 1 16 32 64; do
      row "256 MiB, 8 MiB/s per connection, $c connections" "service (SHA-256 verified)" wide$c $((256 << 20)) MiB/s \
        "$([ $c = 16 ] && echo aria2c-x16-wide || echo wide1)" "$PEAK_RSS_MB" "${HEAP_AFTER_GC} MiB"
    done
    row "" "aria2c -x16" aria2c-x16-wide $((256 << 20)) MiB/s - from-time -
    for c in 32 64; do
      row "" "curl -Z, $c connections (a range each)" curl-x$c-wide $((256 << 20)) MiB/s wide1 from-time -
      row "" "curl -Z, $c connections (1 MiB ranges, as the service)" curl-x$c-plan-wide $((256 << 20)) MiB/s wide1 from-time -
    done
    ;;
  *) echo "unknown case $case"; exit 1 ;;
  esac
done

if [ -s "$WORK/schemas.txt" ] && command -v psql > /dev/null; then
  while read -r schema; do
    psql -q -h 127.0.0.1 -U "$PG_USER" -d test -c "DROP SCHEMA IF EXISTS $schema CASCADE" || true
  done < "$WORK/schemas.txt"
fi
echo
echo "database: ${DB:-h2}"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), service on $("${JAVA:-java}" -version 2>&1 | head -1)$([ -z "${AOT:-}" ] || echo ", from an AOT cache (AOT=1)"), $(aria2c --version | head -1), nginx on loopback; $RUNS runs each, service -Xmx$HEAP; downloads written to $(df --output=fstype "$WRITES" | tail -1) ($WRITES)"
echo
echo "| case | tool | median | spread | rate | ratio | peak RSS | heap after GC | CPU per run |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$WORK/table.md"
echo
echo "ratio: median time over the reference's (aria2c in the same case; for 1, 32 and 64 connections and curl -Z, the service on 1"
echo "connection, so its inverse is the speed-up). Service peak RSS and heap are over the whole case (all its runs)."
