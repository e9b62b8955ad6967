# shellcheck shell=bash
#
# scripts/lib/deps.sh - the Debian packages goc needs, checked and installed.
#
# Sourced by scripts/test and scripts/run (and so by ci/run). The package
# lists below are the only place goc names them. goc_deps_ensure checks them
# with dpkg-query; when some are missing it installs them if it runs as root
# (apt-get update once, then apt-get install), and otherwise prints the exact
# sudo command to run and exits 2.
#
# GOC_DEPS_EXTRA (environment, space-separated) adds packages to the required
# list, for a local need or to try the missing-package path.

# Required to build and test goc: the compiler, its sanitizer runtimes and
# llvm-19 (for llvm-symbolizer-19, which the sanitizers look for by that name:
# without it their reports carry no function names or lines), the build
# tools, the test framework, the benchmark timer, and the system C compiler
# (`cc`) that the installed-library test builds a program with; valgrind,
# whose helgrind and drd the pitfall checks run; for the harness (goc), the
# JSON and INI libraries and gnuplot for the report's charts; for the
# reststore server, libmicrohttpd (its HTTP) and wrk (the load generator
# that measures it).
GOC_DEPS_REQUIRED=(clang-19 libclang-rt-19-dev llvm-19 cmake ninja-build pkg-config libcmocka-dev hyperfine gcc
	valgrind libjansson-dev libinih-dev gnuplot-nox libmicrohttpd-dev wrk)

# Required too when scripts/test runs the aarch64 preset: qemu-user (to run
# what it builds), gcc-aarch64-linux-gnu (the cross linker),
# libc6-dev-arm64-cross (the C runtime files it links with: only a
# recommendation of the cross compiler, which --no-install-recommends
# leaves out) and CMocka for arm64, a foreign architecture that dpkg is
# told of first.
GOC_DEPS_AARCH64=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross libcmocka-dev:arm64)

# Wanted by scripts/run for the Go baseline: installed when they can be had;
# a failure to install them is only a warning here (scripts/run says what it
# cannot do without them).
GOC_DEPS_RUN_OPTIONAL=(golang-go)

# Set once apt-get update has run in this process.
_goc_apt_updated=0

_goc_deps_prog() { printf '%s' "${GOC_PROG:-${0##*/}}"; }

# Print, one per line, the packages among "$@" that are not installed.
goc_deps_missing() {
	local pkg status
	for pkg in "$@"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)
		if [[ "$status" != ii* ]]; then
			printf '%s\n' "$pkg"
		fi
	done
}

# Print, one per line, the foreign architectures that packages among "$@"
# (named pkg:arch) need and dpkg does not know yet.
_goc_foreign_archs_missing() {
	local pkg arch known
	known=" $(dpkg --print-architecture) $(dpkg --print-foreign-architectures | tr '\n' ' ') "
	for pkg in "$@"; do
		[[ "$pkg" == *:* ]] || continue
		arch=${pkg##*:}
		if [[ "$known" != *" $arch "* ]]; then
			printf '%s\n' "$arch"
			known+="$arch "
		fi
	done
}

_goc_apt_update_once() {
	if (( _goc_apt_updated )); then
		return 0
	fi
	echo "$(_goc_deps_prog): apt-get update"
	apt-get -o DPkg::Lock::Timeout=300 update -qq || return 1
	_goc_apt_updated=1
}

_goc_apt_install() {
	echo "$(_goc_deps_prog): apt-get install $*"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
		install -y -qq --no-install-recommends "$@"
}

# goc_deps_ensure test|run [aarch64]
# Make sure the required packages (with `aarch64`, the aarch64 preset's too;
# for `run`, scripts/run's optional ones, as far as they can be had) are
# installed. Returns 0 when the required ones are there; exits 2 when they
# are not and cannot be installed.
goc_deps_ensure() {
	local with_run=0
	case "${1:-}" in
		test) ;;
		run) with_run=1 ;;
		*) echo "goc_deps_ensure: expected 'test' or 'run', got '${1:-}'" >&2; exit 2 ;;
	esac
	local prog
	prog=$(_goc_deps_prog)

	local -a required=("${GOC_DEPS_REQUIRED[@]}")
	if [[ "${2:-}" == aarch64 ]]; then
		required+=("${GOC_DEPS_AARCH64[@]}")
	fi
	local -a optional=()
	if [[ -n "${GOC_DEPS_EXTRA:-}" ]]; then
		# shellcheck disable=SC2206 # splitting the list into words is the point
		required+=(${GOC_DEPS_EXTRA})
	fi
	if (( with_run )); then
		optional+=("${GOC_DEPS_RUN_OPTIONAL[@]}")
	fi

	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "$prog: warning: no dpkg-query (not Debian or Ubuntu?); cannot check packages." >&2
		echo "$prog: goc needs the equivalents of: ${required[*]} ${optional[*]}" >&2
		return 0
	fi

	local -a miss_req miss_opt
	mapfile -t miss_req < <(goc_deps_missing "${required[@]}")
	mapfile -t miss_opt < <(goc_deps_missing "${optional[@]}")
	if (( ${#miss_req[@]} == 0 && ${#miss_opt[@]} == 0 )); then
		return 0
	fi

	local -a archs
	mapfile -t archs < <(_goc_foreign_archs_missing "${miss_req[@]}")
	if (( EUID != 0 )); then
		if (( ${#miss_req[@]} > 0 )); then
			echo "$prog: missing Debian packages: ${miss_req[*]}" >&2
			echo "$prog: install them, then run this again:" >&2
			local arch
			for arch in "${archs[@]}"; do
				echo "  sudo dpkg --add-architecture $arch" >&2
			done
			(( ${#archs[@]} == 0 )) || echo "  sudo apt-get update" >&2
			echo "  sudo apt-get install -y --no-install-recommends ${miss_req[*]}${miss_opt[*]:+ ${miss_opt[*]}}" >&2
			exit 2
		fi
		echo "$prog: note: optional packages missing: ${miss_opt[*]} (sudo apt-get install -y --no-install-recommends ${miss_opt[*]})" >&2
		return 0
	fi

	if (( ${#miss_req[@]} > 0 )); then
		local arch
		for arch in "${archs[@]}"; do
			echo "$prog: dpkg --add-architecture $arch"
			dpkg --add-architecture "$arch" || { echo "$prog: error: could not add the $arch architecture" >&2; exit 2; }
			_goc_apt_updated=0 # its package lists are new
		done
		if ! _goc_apt_update_once || ! _goc_apt_install "${miss_req[@]}"; then
			echo "$prog: error: could not install: ${miss_req[*]}" >&2
			exit 2
		fi
		mapfile -t miss_req < <(goc_deps_missing "${miss_req[@]}")
		if (( ${#miss_req[@]} > 0 )); then
			echo "$prog: error: still missing after apt-get install: ${miss_req[*]}" >&2
			exit 2
		fi
	fi
	if (( ${#miss_opt[@]} > 0 )); then
		if ! _goc_apt_update_once || ! _goc_apt_install "${miss_opt[@]}"; then
			echo "$prog: warning: could not install optional packages: ${miss_opt[*]}; going on without them" >&2
		fi
	fi
	return 0
}
