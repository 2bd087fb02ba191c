#!/bin/bash
# Build the ksm_partition kselftest as a static binary for the guest.
#
#   kernel/selftests/build.sh [OUTPUT]
#
# OUTPUT defaults to build/guest/tests/ksm_partition. Uses the kernel tree
# build/linux for kselftest.h and vm_util.[ch] (read only) and the uapi
# headers of the patched kernel (KHDR, default build/kernel-test/usr-headers/
# include from 'make kernel-headers'; falls back to a private headers_install
# in build/selftests-hdrs when those are missing). Upstream, the same file
# builds as tools/testing/selftests/mm/ksm_partition with the mm Makefile.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
tree=${TREE:-$top/build/linux}
out=${1:-$top/build/guest/tests/ksm_partition}
khdr=${KHDR:-$top/build/kernel-test/usr-headers/include}
cc=${CC:-gcc}

if [ ! -f "$khdr/linux/types.h" ]; then
	hdrs=$top/build/selftests-hdrs
	if [ ! -f "$hdrs/include/linux/types.h" ] ||
	   [ -n "$(find "$tree/include/uapi" "$tree/arch/x86/include/uapi" \
			"$tree/arch/x86/entry/syscalls" -newer "$hdrs/include/linux/types.h" -print -quit)" ]; then
		echo "build.sh: installing uapi headers of $tree into $hdrs" >&2
		make -s -C "$tree" O="$hdrs/obj" ARCH=x86_64 headers_install INSTALL_HDR_PATH="$hdrs" >&2
	fi
	khdr=$hdrs/include
fi

sel=$tree/tools/testing/selftests
mkdir -p "$(dirname "$out")"
"$cc" -static -O2 -g -Wall -Wextra -Wno-unused-parameter \
	-Werror=implicit-function-declaration \
	-I"$sel" -I"$sel/mm" -isystem "$khdr" \
	-o "$out" "$(dirname "$0")/ksm_partition.c" "$sel/mm/vm_util.c"
echo "build.sh: built $out" >&2
