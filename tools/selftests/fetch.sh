#!/usr/bin/env bash
# Fetch the kernel's BPF selftests from Debian's linux-source package, unpack
# the parts the progs need into a cache outside the repo, and build what the
# harness loads with: libbpf (from the same kernel tree), the kload loader and
# a vmlinux.h from the host's BTF.
#
#   tools/selftests/fetch.sh            # linux-source-6.12 (default)
#   LINUX_SOURCE=linux-source-7.2 tools/selftests/fetch.sh
#
# Cache: ${USERBPF_SELFTESTS_CACHE:-~/.cache/userbpf-selftests}. Nothing here
# is written into the repository. Needs root for apt (clang-19, libelf-dev,
# zlib1g-dev, bpftool). On bookworm, linux-source-6.12 comes from
# bookworm-security; for 7.x, set TRIXIE=1 to add trixie and
# trixie-backports as apt sources pinned at priority 100 (never preferred).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${USERBPF_SELFTESTS_CACHE:-$HOME/.cache/userbpf-selftests}
pkg=${LINUX_SOURCE:-linux-source-6.12}
ver=${pkg#linux-source-}
mkdir -p "$cache"
cd "$cache"

if [ "${TRIXIE:-0}" = 1 ] && [ ! -e /etc/apt/sources.list.d/userbpf-trixie.sources ]; then
	cat > /etc/apt/sources.list.d/userbpf-trixie.sources <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	cat > /etc/apt/preferences.d/userbpf-trixie <<'EOF'
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=trixie-backports
Pin-Priority: 100
EOF
	apt-get update -q
fi

need=()
for p in clang-19 llvm-19 libelf-dev zlib1g-dev bpftool pkg-config; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
	[ -n "$(ls /var/lib/apt/lists/*Packages 2>/dev/null | head -1)" ] || apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi

src=$cache/linux-source-$ver
if [ ! -d "$src/tools/testing/selftests/bpf/progs" ]; then
	ls ${pkg}_*.deb >/dev/null 2>&1 || apt-get download "$pkg"
	deb=$(ls -t ${pkg}_*.deb | head -1)
	echo "unpacking $deb" >&2
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$ver.tar.xz" |
		nice -n 19 tar -xJ --wildcards \
			"linux-source-$ver/tools/testing/selftests/bpf" \
			"linux-source-$ver/tools/lib" \
			"linux-source-$ver/tools/include" \
			"linux-source-$ver/tools/arch" \
			"linux-source-$ver/tools/build" \
			"linux-source-$ver/tools/scripts" \
			"linux-source-$ver/tools/bpf" \
			"linux-source-$ver/include/uapi" \
			"linux-source-$ver/scripts/bpf_doc.py" \
			"linux-source-$ver/Makefile"
	echo "$deb" > "$src/.deb"
fi

if [ "${SAMPLES:-0}" = 1 ] && [ ! -d "$src/samples/bpf" ]; then
	deb=$(ls -t ${pkg}_*.deb | head -1)
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/linux-source-$ver.tar.xz" |
		nice -n 19 tar -xJ --wildcards "linux-source-$ver/samples/bpf"
fi

b=$cache/build-$ver
mkdir -p "$b/libbpf" "$b/include" "$b/obj"
if [ ! -f "$b/libbpf/libbpf.a" ]; then
	echo "building libbpf from $src/tools/lib/bpf" >&2
	make -s -C "$src/tools/lib/bpf" -j2 OUTPUT="$b/libbpf/" DESTDIR="$b/root" prefix=/usr install_headers >/dev/null
	nice -n 19 make -s -C "$src/tools/lib/bpf" -j2 OUTPUT="$b/libbpf/" "$b/libbpf/libbpf.a" >/dev/null
fi
if [ ! -x "$b/kload" ] || [ "$here/kload.c" -nt "$b/kload" ]; then
	gcc -O2 -Wall -o "$b/kload" "$here/kload.c" -I"$b/root/usr/include" -I"$src/tools/include/uapi" \
		"$b/libbpf/libbpf.a" -lelf -lz
fi
if [ ! -s "$b/include/vmlinux.h" ]; then
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$b/include/vmlinux.h"
fi
# The selftests' INCLUDE_DIR: the installed libbpf headers (bpf_helpers.h,
# the generated bpf_helper_defs.h) and vmlinux.h.
mkdir -p "$b/include/bpf"
cp "$b/root/usr/include/bpf/"*.h "$b/include/bpf/"
cp "$b/libbpf/bpf_helper_defs.h" "$b/include/bpf/"
echo "$src"
