# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers of the developer tools; source it, do not run it.
#
#   tr_need PACKAGE [COMMAND]   install a Debian package unless present
#   tr_kdir                     the kernel build dir to build against
#   tr_ksrc                     Debian's linux-source-6.1, the parts the
#                               tools use, unpacked into the cache
#   tr_papt apt-get|apt-cache ARGS...
#                               apt with a private state in the cache that
#                               reaches bookworm, bullseye, sid and
#                               experimental, amd64, arm64 and i386
#   tr_unpack DEST PKG...       download PKG (apt-get download syntax:
#                               name[:arch][/suite|=version]) through
#                               tr_papt, cached, and dpkg -x it into DEST
#   tr_kunit_build KDIR WORK [MAKE-ARGS...]
#                               build the KUnit test build of traceregion.ko
#                               against KDIR in a private copy of the tree
#   tr_stress_stage DIR SECONDS FAULT_PCT KMEMLEAK
#                               copy the stress test's guest side into DIR
#                               and print its guest command
#   tr_nmi_inject_start SOCK LOG
#                               give the next tr-vm a qemu monitor on SOCK
#                               and start tools/nmi-inject on it
#   tr_nmi_inject_wait          once tr-vm returned: the injector's status
#
# Everything that outlives a run goes to $TR_CACHE
# (default $HOME/.cache/traceregion), keyed by package version.

TR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TR_CACHE=${TR_CACHE:-$HOME/.cache/traceregion}
export TR_CACHE

tr_apt_updated=
tr_need() {
	if [ -n "${2:-}" ] && command -v "$2" >/dev/null; then return 0; fi
	# Not "dpkg -s | grep -q": grep quits at the match, dpkg dies of
	# SIGPIPE and, under pipefail, an installed package looked missing.
	case $(dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null || :) in
	*"install ok installed"*) return 0 ;;
	esac
	echo "tools: installing $1" >&2
	if [ -z "$tr_apt_updated" ]; then
		apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null
		tr_apt_updated=1
	fi
	# Wait for another apt or dpkg (a second make, a helper) to finish.
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 \
		install -y -qq "$1" >/dev/null
}

tr_kdir() {
	local d

	if [ -n "${KDIR:-}" ]; then
		echo "$KDIR"
		return
	fi
	tr_need linux-headers-amd64
	d=/lib/modules/$(uname -r)/build
	if [ ! -d "$d" ]; then
		d=$(ls -d /lib/modules/6.1.*-amd64/build 2>/dev/null |
		    sort -V | tail -n 1)
	fi
	echo "$d"
}

# The private apt state: the host's sources are never touched, nothing from
# another suite or architecture is installed; packages are only downloaded
# (and unpacked by tr_unpack).  The lists are refreshed when older than an
# hour, checked once per process (TR_PAPT_UPDATED).
tr_papt() {
	local d=$TR_CACHE/apt cmd=$1 s

	shift
	local opts=(-o Dir::Etc::sourcelist="$d/sources.list"
		    -o Dir::Etc::sourceparts=/dev/null
		    -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d/cache"
		    -o Dir::Cache::pkgcache="$d/cache/pkgcache.bin"
		    -o Dir::Cache::srcpkgcache="$d/cache/srcpkgcache.bin"
		    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64
		    -o APT::Architectures::=i386 -o APT::Sandbox::User=root)
	if [ -z "${TR_PAPT_UPDATED:-}" ]; then
		mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
		(
			# One process at a time sets up and refreshes the state;
			# sources.list is replaced only when it changes.
			flock 9
			tmp=$(mktemp "$d/sources.list.XXXXXX")
			for s in "debian bookworm" "debian bookworm-updates" \
				 "debian-security bookworm-security" "debian bullseye" \
				 "debian-security bullseye-security" "debian sid" \
				 "debian experimental"; do
				echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/${s% *} ${s#* } main"
			done >"$tmp"
			if cmp -s "$tmp" "$d/sources.list"; then
				rm -f "$tmp"
			else
				mv "$tmp" "$d/sources.list"
			fi
			# apt keeps an unchanged list's old mtime: a stamp says
			# when the lists were last refreshed.
			if [ -z "$(find "$d/.updated" -mmin -60 2>/dev/null)" ]; then
				echo "tools: updating the private apt lists in $d" >&2
				{ apt-get "${opts[@]}" update -qq >/dev/null 2>&1 ||
				  apt-get "${opts[@]}" update -qq >&2; } &&
					touch "$d/.updated"
			fi
		) 9>"$d/.lock" || return 1
		export TR_PAPT_UPDATED=1
	fi
	"$cmd" "${opts[@]}" "$@"
}

tr_unpack() {
	local dest=$1 debs=$TR_CACHE/debs tmp f missing=()

	shift
	mkdir -p "$debs" "$dest"
	# Their file names (--print-uris in an empty directory lists them all).
	tmp=$(mktemp -d)
	(cd "$tmp" && tr_papt apt-get download --print-uris "$@") >"$tmp/uris" ||
		{ rm -rf "$tmp"; echo "tools: not in the archive: $*" >&2; return 1; }
	mapfile -t files < <(awk '{ print $2 }' "$tmp/uris")
	rm -rf "$tmp"
	[ "${#files[@]}" -eq $# ] || { echo "tools: not all in the archive: $*" >&2; return 1; }
	for f in "${files[@]}"; do
		[ -f "$debs/$f" ] || missing+=("$f")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "tools: downloading ${missing[*]}" >&2
		(cd "$debs" && tr_papt apt-get download -qq "$@" >/dev/null) ||
			return 1
	fi
	for f in "${files[@]}"; do
		dpkg -x "$debs/$f" "$dest"
	done
}

tr_ksrc() {
	local ver dir

	tr_need linux-source-6.1
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	dir=$TR_CACHE/src/$ver/linux-source-6.1
	if [ ! -f "$dir/.unpacked" ] ||
	   [ ! -f "$dir/Documentation/sphinx/kerneldoc.py" ]; then
		mkdir -p "$TR_CACHE/src/$ver"
		tar -C "$TR_CACHE/src/$ver" -xf /usr/src/linux-source-6.1.tar.xz \
			linux-source-6.1/scripts \
			linux-source-6.1/tools/testing/selftests/kselftest.h \
			linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
			linux-source-6.1/tools/testing/selftests/kselftest \
			linux-source-6.1/tools/testing/selftests/lib.mk \
			linux-source-6.1/tools/testing/selftests/run_kselftest.sh \
			linux-source-6.1/tools/testing/kunit \
			linux-source-6.1/Documentation/sphinx
		touch "$dir/.unpacked"
	fi
	echo "$dir"
}

# The test build of traceregion.ko (TR_KUNIT=y, its KUnit suite built in)
# against KDIR, in a private copy of the tree, WORK/src, so that the
# regular build is left alone; MAKE-ARGS go to make (KCFLAGS=..., say).
# The module is WORK/src/traceregion.ko, the log WORK/build.log.
tr_kunit_build() {
	local kd=$1 work=$2

	shift 2
	tr_need rsync rsync
	rsync -a --exclude .git --exclude .out --exclude '*.o' --exclude '*.ko' \
		--exclude '*.mod' --exclude '*.mod.c' --exclude '.*.cmd' \
		--exclude Module.symvers --exclude modules.order \
		"$TR_TOP/" "$work/src/"
	make -C "$kd" M="$work/src" TR_KUNIT=y "$@" modules \
		>"$work/build.log" 2>&1
}

# The stress test (tools/run-stress, or after the suite in
# tools/run-selftests): its modules, built, and guest script go to DIR; the
# guest command goes to stdout.  The caller runs tr-vm with a qemu monitor
# socket and tools/nmi-inject on it.
tr_stress_stage() {
	cp "$TR_TOP/traceregion.ko" \
	   "$TR_TOP/selftests/traceregion/stress/traceregion_stress.ko" \
	   "$TR_TOP/tools/stress-guest.sh" "$TR_TOP/tools/kmemleak-check" "$1/"
	echo "SECONDS_RUN=$2 FAULT_PCT=$3 NMI=1 KMEMLEAK=$4 sh ./stress-guest.sh"
}

# The NMI injector of the stress test: exports TR_QEMU_ARGS with a monitor
# socket for tr-vm and watches tr-vm's console LOG for the stress's start.
tr_nmi_inject_start() {
	export TR_QEMU_ARGS="${TR_QEMU_ARGS:-} -monitor unix:$1,server,nowait"
	: >"$2"
	"$TR_TOP/tools/nmi-inject" "$1" "$2" &
	tr_nmi_inject_pid=$!
}

tr_nmi_inject_wait() {
	# Still running once the guest is gone: it never saw the stress start.
	kill "$tr_nmi_inject_pid" 2>/dev/null
	wait "$tr_nmi_inject_pid"
}
