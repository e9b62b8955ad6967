#!/bin/sh
# zero_allocs.sh CHANBENCH ALLOC_COUNT_SO: channel operations allocate
# nothing in steady state. Each workload runs at two sizes, 1,000 and
# 100,000 messages, under the alloc_count.c preload. One allocation per
# message would add 99,000; the larger run may add at most 9, fewer than
# one per 10,000 messages (thread start-up varies a little with timing).
# Exit 0 when every workload stays within that.
set -eu
bench=$1 lib=$2
status=0
count() {
	LD_PRELOAD=$lib "$bench" "$@" 2>&1 >/dev/null | sed -n 's/^allocations: //p'
}
for w in "spsc --cap 0" "spsc --cap 1" "spsc --cap 1024" "mpmc" "pingpong" "select --cases 8"; do
	# shellcheck disable=SC2086 # $w is the workload and its flags
	small=$(count $w --size 1000)
	# shellcheck disable=SC2086
	large=$(count $w --size 100000)
	if [ -z "$small" ] || [ -z "$large" ] || [ $((large - small)) -gt 9 ]; then
		echo "zero_allocs: $w: ${small:-?} allocations at 1000 messages, ${large:-?} at 100000: allocates per message"
		status=1
	else
		echo "zero_allocs: $w: $small allocations at 1000 messages, $large at 100000"
	fi
done
exit $status
