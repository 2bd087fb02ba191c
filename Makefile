# Selective KSM: kernel patch series, libksm, tools, tests, demo, benchmarks.
#
#   make demo      the main job: boot the patched kernel and show tenants merged
#   make check     build everything, run host tests and guest tests
#   make bench     benchmarks against ksmd and the read-and-hash limit
#   make help      every target
#
# Build outputs all go to build/ (ignored by git).

SHELL := /bin/bash
TOP := $(CURDIR)
B := $(TOP)/build
NPROC := $(shell nproc)

CC ?= gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-unused-parameter -Werror=implicit-function-declaration
PREFIX ?= /usr/local
DESTDIR ?=

KERNEL_TREE := $(B)/linux
BZIMAGE := $(B)/kernel-test/arch/x86/boot/bzImage
KHDR := $(B)/kernel-test/usr-headers/include

.PHONY: all help deps kernel-tree kernel kernel-export kernel-reset kernel-status \
	kernel-headers userspace guest-bin initramfs check check-host check-guest \
	check-harness demo bench install clean

all: userspace

help:
	@sed -n 's/^#   //p' Makefile
	@echo
	@echo "  deps           install the Debian packages the project needs (apt-get)"
	@echo "  kernel-tree    extract the Debian source to build/linux and apply kernel/patches"
	@echo "  kernel         build the test kernel (build/kernel-test)"
	@echo "  kernel-export  write commits made in build/linux back to kernel/patches/"
	@echo "  kernel-reset   drop unexported commits in build/linux and re-apply the series"
	@echo "  userspace      libksm, ksmctl, ksm-exec (build/lib, build/bin)"
	@echo "  initramfs      the guest initramfs (busybox, guest tests, static tools)"
	@echo "  check-host     host tests only (stock kernel of this machine)"
	@echo "  check-guest    guest tests only (patched kernel under QEMU)"
	@echo "  install        install libksm, tools and man pages (PREFIX, DESTDIR)"
	@echo "  kernel-deb     Debian packages of the patched kernel with Debian's config"
	@echo "                 (FLAVOUR=cloud-amd64 or amd64; hours) into build/"
	@echo "  check-deb      guest tests on the kernel from kernel-deb's .deb (FLAVOUR)"
	@echo "  deb            libksm1, libksm-dev, ksm-tools .debs into build/deb/ (lintian)"
	@echo "  demo-attack    the dedup timing attack: global, one partition, two (build/attack/)"
	@echo "  demo-qemu      real QEMU guests as tenants in the patched guest (nested TCG)"
	@echo "  check-debug    every guest test on the KASAN/lockdep/DEBUG_VM/PREEMPT kernel"
	@echo "  check-kcsan    ksm_stress and the kselftest on a KCSAN kernel (2 vCPUs)"

# ---------------------------------------------------------------- packages
# Installs what a fresh Debian 12 machine lacks; a no-op when all is there.
deps:
	@$(TOP)/scripts/deps

# ---------------------------------------------------------------- kernel
kernel-tree: deps
	@$(TOP)/scripts/kernel-tree prepare

kernel: kernel-tree
	@$(TOP)/scripts/kernel-build test

kernel-export:
	@$(TOP)/scripts/kernel-tree export

kernel-reset:
	@$(TOP)/scripts/kernel-tree reset

kernel-status:
	@$(TOP)/scripts/kernel-tree status

# uapi headers of the patched kernel, for the guest test programs
kernel-headers: kernel
	@if [ ! -f $(KHDR)/.stamp ] || [ $(BZIMAGE) -nt $(KHDR)/.stamp ]; then \
		$(MAKE) -s -C $(KERNEL_TREE) O=$(B)/kernel-test \
			INSTALL_HDR_PATH=$(B)/kernel-test/usr-headers headers_install && \
		touch $(KHDR)/.stamp; fi

# ---------------------------------------------------------------- userspace
# lib/lib.mk and tools/tools.mk define userspace, guest-bin and install.
-include lib/lib.mk
-include tools/tools.mk
ifeq ($(wildcard $(TOP)/lib/lib.mk),)
userspace guest-bin install:
	@echo "userspace: not written yet"
endif

# ---------------------------------------------------------------- tests
include tests/tests.mk
include scripts/deb.mk

# ---------------------------------------------------------------- demo, bench
include demo/demo.mk
-include bench/bench.mk

clean:
	rm -rf $(B)/lib $(B)/bin $(B)/obj $(B)/guest $(B)/tests $(B)/initramfs*
