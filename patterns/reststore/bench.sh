#!/usr/bin/env bash
# bench.sh - reststore's W11 points by hand: each C store design and the Go
# twin, interleaved round by round, loaded by wrk on 127.0.0.1 only.
#
#   patterns/reststore/bench.sh [--rounds N] [--duration SECS] [--point NAME]... [--server NAME]...
#
# Points: get1-c1, get1-c16, get1-c64, get1-c256 (GET /users/1, one user
# stored), list1000 (GET /users with 1,000 users, -c64), post (the POST mix,
# -c64), rss (resident set growth per stored user: VmRSS after 100,000
# creates minus VmRSS with one user). Servers: rwlock, mutex, sharded, actor
# (build/release's reststore --store NAME) and go (build/go/reststore). Each
# round starts every server afresh in turn, warms it up for 1 s, then
# measures: requests/s, p50/p99 latency (wrk, through wrk/report.lua),
# server CPU per request (utime+stime from /proc/PID/stat across the
# measured run), peak RSS (VmHWM) and the exit status after SIGTERM. One
# JSON line per measurement goes to stdout; a table of medians follows on
# stderr ('-' where a point has no such figure). A measurement fails on a
# non-zero exit status, a socket error or a non-2xx answer; the table
# counts the failures, and the script then exits 1.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
c_server=${RESTSTORE_C:-$root/build/release/patterns/reststore/reststore}
go_server=${RESTSTORE_GO:-$root/build/go/reststore}
rounds=3
duration=5
points=()
servers=()
while (($#)); do
	case $1 in
		--rounds) rounds=$2; shift 2 ;;
		--duration) duration=$2; shift 2 ;;
		--point) points+=("$2"); shift 2 ;;
		--server) servers+=("$2"); shift 2 ;;
		-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) echo "bench.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
((${#points[@]})) || points=(get1-c1 get1-c16 get1-c64 get1-c256 list1000 post rss)
((${#servers[@]})) || servers=(rwlock mutex sharded actor go)
for tool in wrk curl; do
	command -v $tool >/dev/null || { echo "bench.sh: needs $tool" >&2; exit 2; }
done
[[ -x $c_server ]] || { echo "bench.sh: no $c_server (cmake --build build/release --target reststore)" >&2; exit 2; }
[[ -x $go_server ]] || { echo "bench.sh: no $go_server (build scenarios/go)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tick=$(getconf CLK_TCK)

pid=""
port=""
# start NAME: the server in the background; sets pid and port.
start() {
	local cmd
	if [[ $1 == go ]]; then cmd=("$go_server"); else cmd=("$c_server" --store "$1"); fi
	# Not the last server's line: the new one truncates the file only once it runs.
	rm -f "$tmp/out" "$tmp/err"
	"${cmd[@]}" --port 0 >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 100); do
		grep -q '^listening on ' "$tmp/out" 2>/dev/null && break
		sleep 0.05
	done
	port=$(sed -n 's/^listening on http:\/\/127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/out")
	[[ -n $port ]] || { echo "bench.sh: $1 printed no listening line" >&2; cat "$tmp/err" >&2 2>/dev/null; exit 1; }
}

# stop: SIGTERM; sets status to the exit status.
status=0
stop() {
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$pid/status"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }

# create N: N users exactly up to 1,000 (one curl, one connection), and at
# least N beyond (wrk's POST script for a second at a time). Gives up when
# a round adds no user (the server stopped taking them).
create() {
	local n=$1 have=0 before
	while ((have < n)); do
		before=$have
		if ((n - have <= 1000)); then
			local urls=()
			for _ in $(seq $((n - have))); do urls+=("http://127.0.0.1:$port/users"); done
			curl -s -XPOST -d '{"name":"Ada Lovelace","email":"ada@example.com"}' "${urls[@]}" >/dev/null
		else
			wrk -t1 -c8 -d1s -s "$here/wrk/post.lua" "http://127.0.0.1:$port/users" >/dev/null
		fi
		have=$(curl -s "http://127.0.0.1:$port/health" | sed -n 's/.*"users":\([0-9]*\).*/\1/p')
		have=${have:-0}
		if ((have <= before)); then
			echo "bench.sh: creating users stopped at $have of $n" >&2
			exit 1
		fi
	done
}

# measure SERVER POINT ROUND: one JSON line.
measure() {
	local srv=$1 point=$2 round=$3 conns=64 path=/users/1 script=$here/wrk/report.lua
	start "$srv"
	case $point in
		get1-c*) conns=${point#get1-c}; create 1 ;;
		list1000) path=/users; create 1000 ;;
		post) path=/users; script=$here/wrk/post.lua; create 1 ;;
		rss)
			local before after users
			create 1
			before=$(rss_kb)
			create 100000
			after=$(rss_kb)
			users=$(curl -s "http://127.0.0.1:$port/health" | sed 's/.*"users":\([0-9]*\).*/\1/')
			stop
			printf '{"server":"%s","point":"rss","round":%d,"users":%d,"rss_before_kb":%d,"rss_after_kb":%d,"bytes_per_user":%.0f,"exit":%d}\n' \
				"$srv" "$round" "$users" "$before" "$after" "$(awk -v a="$after" -v b="$before" -v u="$users" 'BEGIN{print (a-b)*1024/u}')" "$status"
			return
			;;
	esac
	local threads=2
	((conns < 2)) && threads=1
	wrk -t$threads -c"$conns" -d1s -s "$script" "http://127.0.0.1:$port$path" >/dev/null
	local t0 t1
	t0=$(cpu_ticks)
	wrk -t$threads -c"$conns" -d"${duration}s" -s "$script" "http://127.0.0.1:$port$path" >"$tmp/wrk"
	t1=$(cpu_ticks)
	local hwm
	hwm=$(hwm_kb)
	stop
	local w
	w=$(tail -1 "$tmp/wrk")
	awk -v w="$w" -v srv="$srv" -v point="$point" -v round="$round" -v c=$((t1 - t0)) -v tick="$tick" -v hwm="$hwm" -v st="$status" 'BEGIN {
		match(w, /"requests":[0-9]+/); req = substr(w, RSTART + 11, RLENGTH - 11)
		match(w, /"duration_us":[0-9]+/); dur = substr(w, RSTART + 14, RLENGTH - 14)
		match(w, /"p50_us":[0-9]+/); p50 = substr(w, RSTART + 9, RLENGTH - 9)
		match(w, /"p99_us":[0-9]+/); p99 = substr(w, RSTART + 9, RLENGTH - 9)
		match(w, /"errors":[0-9]+/); err = substr(w, RSTART + 9, RLENGTH - 9)
		match(w, /"non2xx":[0-9]+/); bad = substr(w, RSTART + 9, RLENGTH - 9)
		printf "{\"server\":\"%s\",\"point\":\"%s\",\"round\":%d,\"rps\":%.0f,\"cpu_us_per_req\":%.2f,\"p50_us\":%d,\"p99_us\":%d,\"errors\":%d,\"non2xx\":%d,\"hwm_kb\":%d,\"exit\":%d}\n",
			srv, point, round, req / (dur / 1e6), c * 1e6 / tick / req, p50, p99, err, bad, hwm, st
	}'
}

results=$tmp/results
for ((r = 1; r <= rounds; r++)); do
	for point in "${points[@]}"; do
		for srv in "${servers[@]}"; do
			measure "$srv" "$point" "$r" | tee -a "$results"
		done
	done
done

# Medians per server and point.
{
	printf '%-9s %-8s %9s %10s %8s %8s %7s %s\n' point server 'req/s' 'cpu us/req' 'p50 us' 'p99 us' 'B/user' 'failed'
	sort -t'"' -k8,8 -k4,4 "$results" | awk -F'[:,{}"]+' '
	function med(s,   a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
	# The median of the values a point has, or "-" when it has none.
	function cell(s, f) { return s == "" ? "-" : sprintf(f, med(s)) }
	function add(k, name, arr) { if (name in v) arr[k] = arr[k] " " v[name] }
	{ for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
	  k = v["point"] " " v["server"]; if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
	  add(k, "rps", rps); add(k, "cpu_us_per_req", cpu); add(k, "p50_us", p50)
	  add(k, "p99_us", p99); add(k, "bytes_per_user", bpu)
	  bad[k] += (v["exit"] != 0 || v["errors"] > 0 || v["non2xx"] > 0)
	  delete v }
	END { for (i = 1; i <= nk; i++) { k = keys[i]; split(k, pk, " ")
	  printf "%-9s %-8s %9s %10s %8s %8s %7s %d\n", pk[1], pk[2], cell(rps[k], "%.0f"), cell(cpu[k], "%.2f"),
	    cell(p50[k], "%.0f"), cell(p99[k], "%.0f"), cell(bpu[k], "%.0f"), bad[k] } }'
} >&2

# Any failed measurement fails the run.
failed=$(grep -cE '"exit":[1-9]|"errors":[1-9]|"non2xx":[1-9]' "$results" || true)
if ((failed > 0)); then
	echo "bench.sh: $failed measurement(s) failed (non-zero exit, socket errors or non-2xx answers)" >&2
	exit 1
fi
