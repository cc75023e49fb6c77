#!/bin/sh
# Soak (issue 16): the live pipeline (`churnwatch run`, Release build) for a
# bounded time at 20,000 events/s on the embedded broker, while a second
# instance joins the group, is killed -9 and restarted, and leaves, every
# few minutes. At the end:
# - the warning topic, deduplicated by warning_id, equals a file replay of
#   the same records shard by shard (a warning seen twice must be an exact
#   copy: the embedded broker serves the records of aborted and unfinished
#   transactions to read_committed readers too, see tests/kafka/run_crash.sh);
# - the input topics hold exactly the records of the files replayed;
# - nothing went to the dead-letter topic, nothing was late, nothing was
#   logged as an error;
# - the resident memory of the instance that runs throughout (A) grew less
#   than 5 % from the end of the first cycle (the warm-up) to the end of
#   the last, both sampled at the same point of a cycle: A alone in the
#   group for a third of it, every shard back and caught up. Each mark is
#   the median of A's last ten "stats: memory" lines (one every 2 s: the
#   resident set from /proc/self/statm and malloc's heap in use from
#   mallinfo2, printed side by side). A is never killed: only B is, so the
#   marks are of one process over its own lifetime; should A die, the soak
#   fails saying so, and no mark is taken of a restarted process.
#
#   bench/soak.sh [--minutes M] [--rate EV/S] [--partitions N]
#                 [--customers N] [--cycle S] [--keep]
#
# --cycle S (default 180): B, the second instance, joins at 0, is killed -9
# and restarted at S/3, leaves (SIGTERM) at 2S/3; A is then alone until S.
# The run is the whole cycles that fit in M minutes (at least 2 for a
# memory verdict), then the end of the round being produced. --keep keeps
# the scratch folder (logs, files) and says where.
#
# The input: purchases only (gen --streams purchase), in rounds of ten years
# of one population of --customers customers (a new seed each round: the
# same customers behave anew), produced by `gen --rate` one after another;
# the same rounds are written to Avro files by partition (gen --partitions)
# for the replay. Why one stream, what the embedded broker allows, and how
# the figures were got: docs/performance.md#soak.
set -eu
cd "$(dirname "$0")/.."
minutes=15
rate=20000
partitions=32
customers=2400
cycle=180
keep=
while [ $# -gt 0 ]; do
        case $1 in
        --minutes) minutes=$2 ;;
        --rate) rate=$2 ;;
        --partitions) partitions=$2 ;;
        --customers) customers=$2 ;;
        --cycle) cycle=$2 ;;
        --keep) keep=1; shift; continue ;;
        *) echo "usage: $0 [--minutes M] [--rate EV/S] [--partitions N] [--customers N] [--cycle S] [--keep]" >&2; exit 2 ;;
        esac
        shift 2
done
command="bench/soak.sh --minutes $minutes --rate $rate --partitions $partitions --customers $customers --cycle $cycle"
cycles=$((minutes * 60 / cycle))
[ "$cycles" -ge 1 ] || cycles=1
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 >/dev/null
bin=$PWD/build/churnwatch
lib() { /usr/bin/python3 tests/lib/run_lib.py "$@"; }
tmp=$(mktemp -d)
bpid= apid= bpid2= gpid= spid=
cleanup() {
        for p in $gpid $spid $bpid2 $apid $bpid; do kill -9 "$p" 2>/dev/null || true; done
        if [ -n "$keep" ]; then echo "scratch folder kept: $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
log() { echo "$(date -u +%H:%M:%S) $*"; }
fail() { echo "$*" >>"$tmp/failures"; }
: >"$tmp/failures"

# ---- the broker and the configurations ----------------------------------------
mkfifo "$tmp/commands"
"$bin" broker -c tests/data/configs/good/contract.cfg --partitions "$partitions" \
        --commands <"$tmp/commands" >"$tmp/broker.out" 2>"$tmp/broker.err" &
bpid=$!
exec 9>"$tmp/commands"
for _ in $(seq 100); do
        grep -q '^bootstrap=' "$tmp/broker.out" 2>/dev/null && break
        sleep 0.1
done
bs=$(sed -n 's/^bootstrap=//p' "$tmp/broker.out")
[ -n "$bs" ] || { echo "the broker did not start: $(cat "$tmp/broker.err")" >&2; exit 1; }
# run: the contract's example; short sessions, so that a killed member is
# out of the group within seconds; a commit interval of 4 s and event
# time up to a century ahead of the wall clock (docs/performance.md#soak).
sed "s/127.0.0.1:9092\";/$bs\"; session_timeout_ms = 6000; heartbeat_interval_ms = 500;/" \
        tests/data/configs/good/contract.cfg >"$tmp/cw.cfg"
printf 'commit_interval_ms = 4000;\nmax_future = "36500d";\nstats_interval_ms = 2000;\n' >>"$tmp/cw.cfg"
# gen: batches of 50 ms (the embedded broker answers a fetch with one
# batch a partition), idempotent (no reordering on a retry).
sed "s/127.0.0.1:9092\";/$bs\"; linger_ms = 50; enable_idempotence = true;/" \
        tests/data/configs/good/contract.cfg >"$tmp/gen.cfg"
grep -q "session_timeout_ms = 6000" "$tmp/cw.cfg" && grep -q "linger_ms = 50" "$tmp/gen.cfg"

# ---- the input -------------------------------------------------------------------
day=86400000
days=3650
start_ms=31536000000 # 1971-01-01
gen_args() {
        echo "--customers $customers --days $days --seed $((1000 + $1)) --start $((start_ms + $1 * days * day)) --streams purchase"
}
# producer: rounds until $tmp/stop appears (the round under way finishes).
producer() {
        r=0
        while [ ! -f "$tmp/stop" ]; do
                # shellcheck disable=SC2046
                "$bin" gen -c "$tmp/gen.cfg" $(gen_args "$r") --rate "$rate" \
                        2>"$tmp/gen-$r.err" || { fail "gen round $r failed: $(tail -n 1 "$tmp/gen-$r.err")"; return 1; }
                r=$((r + 1))
                echo "$r" >"$tmp/rounds"
        done
}

# ---- the instances ---------------------------------------------------------------
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }
# sampler: A's VmRSS every 2 s into $tmp/rss.
sampler() {
        while kill -0 "$apid" 2>/dev/null; do
                rss_kb "$apid" >>"$tmp/rss"
                sleep 2
        done
}
# mark CYCLE: the medians of A's resident memory and heap in use over its
# last ten "stats: memory" lines (20 s alone in the group), into
# $tmp/marks; A gone is a failure (its marks would be another process's).
mark() {
        if ! kill -0 "$apid" 2>/dev/null; then
                fail "A exited during cycle $1 ($tmp/a.err): no memory verdict"
                return 1
        fi
        grep 'stats: memory:' "$tmp/a.err" | tail -n 10 |
                sed 's/.*heap in use \([0-9]*\) kB, resident \([0-9]*\) kB.*/\1 \2/' >"$tmp/window"
        heap=$(cut -d' ' -f1 "$tmp/window" | sort -n | sed -n 5p)
        rss=$(cut -d' ' -f2 "$tmp/window" | sort -n | sed -n 5p)
        anon=$(grep 'stats: memory:' "$tmp/a.err" | tail -n 10 |
                sed 's/.*(anonymous \([0-9]*\) kB.*/\1/' | sort -n | sed -n 5p)
        cp "/proc/$apid/smaps" "$tmp/smaps-$1" 2>/dev/null || true
        echo "$1 ${rss:-?} ${heap:-?} ${anon:-?}" >>"$tmp/marks"
        log "cycle $1: A alone for $((cycle / 3)) s: RSS ${rss:-?} kB (anonymous ${anon:-?} kB), heap in use ${heap:-?} kB (medians of 10 samples)"
}
kills=0 joins=0 leaves=0
start_b() {
        "$bin" run -c "$tmp/cw.cfg" 2>"$tmp/b-$joins.err" &
        bpid2=$!
        joins=$((joins + 1))
}

log "broker $bs, $partitions partitions a topic; A, then gen --rate $rate; $cycles cycles of $cycle s"
"$bin" run -c "$tmp/cw.cfg" 2>"$tmp/a.err" &
apid=$!
sampler &
spid=$!
for _ in $(seq 300); do grep -q "consumer: shard" "$tmp/a.err" 2>/dev/null && break; sleep 0.1; done
producer &
gpid=$!
t_start=$(date +%s)
: >"$tmp/marks"
for cyc in $(seq "$cycles"); do
        log "cycle $cyc of $cycles: B joins"
        start_b
        sleep $((cycle / 3))
        log "cycle $cyc: B killed -9 and restarted"
        kill -9 "$bpid2" 2>/dev/null || fail "B had stopped before its kill ($tmp/b-$((joins - 1)).err)"
        wait "$bpid2" 2>/dev/null || true
        kills=$((kills + 1))
        start_b
        sleep $((cycle / 3))
        log "cycle $cyc: B leaves"
        kill -TERM "$bpid2" 2>/dev/null || fail "B had stopped before it was to leave ($tmp/b-$((joins - 1)).err)"
        wait "$bpid2" || fail "B exited with $? on SIGTERM ($tmp/b-$((joins - 1)).err)"
        bpid2=
        leaves=$((leaves + 1))
        sleep $((cycle / 3))
        mark "$cyc" || break
        kill -0 "$gpid" 2>/dev/null || { fail "the producer stopped early"; break; }
done
touch "$tmp/stop"
wait "$gpid" || true
gpid=
t_gen=$(($(date +%s) - t_start))
rounds=$(cat "$tmp/rounds" 2>/dev/null || echo 0)
log "input done: $rounds rounds in $t_gen s; A finishes"
for _ in 1 2 3 4 5; do
        lib wait-committed "$bs" churnwatch 60 >"$tmp/wait.out" && break
done || fail "A did not commit every input offset: $(cat "$tmp/wait.out")"
kill -TERM "$apid" 2>/dev/null || fail "A had stopped before the end ($tmp/a.err)"
wait "$apid" || fail "A exited with $? on SIGTERM"
apid=
wait "$spid" 2>/dev/null || true
spid=

# ---- checks ------------------------------------------------------------------------
log "checking: the same rounds into files by partition, replays, the topics"
for r in $(seq 0 $((rounds - 1))); do
        mkdir -p "$tmp/files"
        # shellcheck disable=SC2046
        "$bin" gen -c "$tmp/gen.cfg" $(gen_args "$r") --partitions "$partitions" \
                --output-dir "$tmp/files/$r" 2>"$tmp/files-$r.err" || fail "gen files $r: $(cat "$tmp/files-$r.err")"
done
lib offsets "$bs" purchases logins support-tickets surveys churn-warnings \
        churnwatch-dlq churnwatch-state >"$tmp/offsets" || fail "offsets: $(cat "$tmp/offsets")"
/usr/bin/python3 bench/soak_check.py inputs "$tmp" "$rounds" "$partitions" >>"$tmp/failures"
awk '$1 == "churnwatch-dlq" && $4 > 0 { n += $4 } END { if (n) print n " records in the dead-letter topic" }' \
        "$tmp/offsets" >>"$tmp/failures"
awk '($1 == "churnwatch-state" || $1 == "churn-warnings") && $3 > 0 { print $1 " [" $2 "] begins at offset " $3 ": the embedded broker dropped records (it keeps about 5 MB a partition); use more --partitions or fewer --customers" }' \
        "$tmp/offsets" | head -n 3 >>"$tmp/failures"
: >"$tmp/replay.jsonl"
for p in $(seq 0 $((partitions - 1))); do
        inputs=
        for r in $(seq 0 $((rounds - 1))); do inputs="$inputs $tmp/files/$r/$p"; done
        # shellcheck disable=SC2086
        "$bin" replay -c "$tmp/cw.cfg" --input $inputs --output "$tmp/replay-$p.jsonl" \
                2>"$tmp/replay-$p.err" || fail "replay of shard $p: $(tail -n 2 "$tmp/replay-$p.err")"
        cat "$tmp/replay-$p.jsonl" >>"$tmp/replay.jsonl"
done
lib warnings "$bs" "$tmp/topic.jsonl" >"$tmp/warnings.out" ||
        fail "warning topic: $(head -n 3 "$tmp/warnings.out")"
lib exactly-once "$tmp/topic.jsonl" "$tmp/replay.jsonl" >"$tmp/eo.out" ||
        fail "the warnings differ from the replay: $(head -n 6 "$tmp/eo.out")"
grep -h ' error ' "$tmp/a.err" "$tmp"/b-*.err | head -n 3 | sed 's/^/logged: /' >>"$tmp/failures"
! grep -q "dead letters [1-9]\|late [1-9]" "$tmp/a.err" "$tmp"/b-*.err ||
        fail "dead letters or late events in the stats lines"

# Memory: A's VmRSS at the end of cycle 1 (the warm-up) and of the last.
warm=$(awk '$1 == 1 { print $2 }' "$tmp/marks")
end=$(awk -v c="$cycles" '$1 == c && c > 1 { print $2 }' "$tmp/marks")
heaps=$(awk '{ printf "%s%s", sep, $3; sep = ", " }' "$tmp/marks")
rsses=$(awk '{ printf "%s%s", sep, $2; sep = ", " }' "$tmp/marks")
anons=$(awk '{ printf "%s%s", sep, $4; sep = ", " }' "$tmp/marks")
heap_warm=$(awk '$1 == 1 { print $3 }' "$tmp/marks")
heap_end=$(awk -v c="$cycles" '$1 == c { print $3 }' "$tmp/marks")
peak=$(sort -n "$tmp/rss" | tail -n 1)
growth="?"
if [ -n "$warm" ] && [ -n "$end" ]; then
        growth=$(awk "BEGIN { printf \"%+.1f\", ($end - $warm) * 100 / $warm }")
        ! awk "BEGIN { exit !($end > $warm * 1.05) }" ||
                fail "A's RSS grew $growth % after the warm-up (limit 5 %)"
else
        fail "too short for a memory verdict: fewer than 2 cycles"
fi

# ---- summary -------------------------------------------------------------------------
events=$(awk '$1 == "purchases" { n += $4 } END { print n + 0 }' "$tmp/offsets")
distinct=$(sed -n 's/^\([0-9]*\) distinct warnings.*/\1/p' "$tmp/eo.out")
copies=$(sed -n 's/.* \([0-9]*\) exact copies.*/\1/p' "$tmp/eo.out")
echo
echo "## soak: $command"
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%d), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "duration: $t_gen s of input, $rounds rounds of $customers customers x $days days (purchases), $partitions partitions a topic"
echo "events: $events, $((events / (t_gen > 0 ? t_gen : 1))) events/s on average (gen --rate $rate)"
echo "faults: $kills kill -9 of B (each restarted at once), $joins joins and $leaves leaves of B; A throughout"
echo "warnings: ${distinct:-?} distinct on the topic and ${copies:-?} exact copies; the replay: $(wc -l <"$tmp/replay.jsonl")"
echo "transactions of A: $(grep 'stats:' "$tmp/a.err" | tail -n 1 | sed -n 's/.*transactions \([0-9]* committed [0-9]* aborted\).*/\1/p'); dead letters: $(awk '$1 == "churnwatch-dlq" { n += $4 } END { print n + 0 }' "$tmp/offsets")"
echo "RSS of A: ${warm:-?} kB after the warm-up (end of cycle 1), ${end:-?} kB at the end of cycle $cycles ($growth %); peak $peak kB; at the end of each cycle (kB): $rsses; anonymous: $anons"
echo "heap in use of A (malloc): ${heap_warm:-?} kB after the warm-up, ${heap_end:-?} kB at the end; at the end of each cycle (kB): $heaps"
if [ -s "$tmp/failures" ]; then
        echo "verdict: FAIL"
        sed 's/^/  /' "$tmp/failures"
        exit 1
fi
echo "verdict: PASS"
