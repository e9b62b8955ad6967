#!/bin/sh
# check.sh - run a pitfall program under a detector, as pitfalls.ini says:
# the ctest checks of the pitfall tier (see CMakeLists.txt).
#
#   check.sh INI PITFALL bad DETECTOR PROGRAM
#       Run PROGRAM (the pitfall's bad version) up to `tries` times the way
#       DETECTOR's mode says. Exit 0 at the first run DETECTOR catches, 1 if
#       none does, 77 (skipped) if the build has no such detector.
#   check.sh INI PITFALL fixed MODE PROGRAM
#       Run PROGRAM (the fixed version) `fixed-runs` times in MODE. Exit 0 if every
#       run exits 0 within the timeout and prints nothing that any of the
#       pitfall's detectors, or the `clean` ones, of that mode match; else 1.
set -u
if [ $# -ne 5 ]; then
	echo "usage: check.sh INI PITFALL bad DETECTOR PROGRAM | check.sh INI PITFALL fixed MODE PROGRAM" >&2
	exit 2
fi
ini=$1 pitfall=$2 version=$3 what=$4 prog=$5

# ini_get SECTION KEY: print the key's value in that section (nothing if unset).
ini_get() {
	awk -v sec="$1" -v key="$2" '
		/^[ \t]*[#;]/ { next }
		/^[ \t]*\[/ { s = $0; sub(/^[ \t]*\[/, "", s); sub(/\][ \t]*$/, "", s); cur = s; next }
		cur == sec {
			i = index($0, "=")
			if (i == 0) next
			k = substr($0, 1, i - 1); v = substr($0, i + 1)
			gsub(/^[ \t]+|[ \t]+$/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", v)
			if (k == key) { print v; exit }
		}' "$ini"
}

# det_get DETECTOR KEY: the pitfall's override DETECTOR.KEY, else the detector's KEY.
det_get() {
	v=$(ini_get "$pitfall" "$1.$2")
	[ -n "$v" ] || v=$(ini_get "detector.$1" "$2")
	printf '%s' "$v"
}

if [ -z "$(ini_get "$pitfall" stated)" ]; then
	echo "check.sh: no pitfall [$pitfall] with a stated detector in $ini" >&2
	exit 2
fi
tries=$(ini_get "$pitfall" tries)
[ -n "$tries" ] || tries=$(ini_get pitfalls tries)
timeout=$(ini_get pitfalls timeout)
case $version in
bad) mode=$(det_get "$what" mode) ;;
fixed) mode=$what tries=$(ini_get pitfalls fixed-runs) ;;
*) echo "check.sh: bad or fixed, not '$version'" >&2; exit 2 ;;
esac
if [ -z "$(ini_get "mode.$mode" build)" ]; then
	echo "check.sh: no mode '$mode' in $ini" >&2
	exit 2
fi
command=$(ini_get "mode.$mode" command)
env=$(ini_get "mode.$mode" env)

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# run_once: run the program once; sets status (124: hung) and leaves its output in $tmp.
run_once() {
	# shellcheck disable=SC2086 # command and env are lists of words
	env $env timeout -k 5 "$timeout" $command "$prog" >"$tmp/out" 2>"$tmp/err"
	status=$?
}

# caught DETECTOR: whether the last run shows DETECTOR's catch.
caught() {
	want_status=$(det_get "$1" status)
	want_stderr=$(det_get "$1" stderr)
	[ -z "$want_status" ] || [ "$status" = "$want_status" ] || return 1
	[ -z "$want_stderr" ] || grep -Eq -- "$want_stderr" "$tmp/err" || return 1
	return 0
}

show_run() {
	echo "--- exit status $status$( [ "$status" = 124 ] && echo ' (hung: killed after the timeout)'); stderr:"
	tail -n 40 "$tmp/err"
}

echo "$pitfall $version under $what: $command${command:+ }$prog ($tries run(s), env: ${env:-none})"
if [ "$version" = bad ]; then
	requires=$(det_get "$what" requires)
	if [ -n "$requires" ] && ! grep -aqF -- "$requires" "$prog"; then
		echo "skipped: this build's libgoc has no $what detector (no \"$requires\" in the program)"
		exit 77
	fi
	k=1
	while [ "$k" -le "$tries" ]; do
		run_once
		if caught "$what"; then
			echo "caught by $what in run $k of $tries"
			exit 0
		fi
		k=$((k + 1))
	done
	show_run
	echo "NOT caught by $what in $tries run(s)"
	exit 1
fi

# The detectors a fixed version answers to in this mode: the pitfall's and the clean ones.
dets=""
for d in $(ini_get "$pitfall" stated) $(ini_get "$pitfall" also) $(ini_get "$pitfall" sometimes) $(ini_get pitfalls clean); do
	[ "$(det_get "$d" mode)" = "$mode" ] || continue
	case " $dets " in *" $d "*) ;; *) dets="$dets $d" ;; esac
done
k=1
while [ "$k" -le "$tries" ]; do
	run_once
	for d in $dets; do
		re=$(det_get "$d" stderr)
		if [ -n "$re" ] && grep -Eq -- "$re" "$tmp/err"; then
			show_run
			echo "NOT clean: $d reports the fixed version in run $k of $tries"
			exit 1
		fi
	done
	if [ "$status" -ne 0 ]; then
		show_run
		echo "NOT clean: run $k of $tries exited $status"
		exit 1
	fi
	k=$((k + 1))
done
echo "clean in $tries run(s) under:$dets"
exit 0
