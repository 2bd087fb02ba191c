# Debian packages: the kernel from Debian's own configuration plus the series
# (kernel-deb, check-deb) and the userspace (deb). Included by the Makefile.

FLAVOUR ?= cloud-amd64

.PHONY: kernel-deb check-deb deb

# Hours on 2 cores (see README, "Installing on a host"); not part of make check.
kernel-deb: kernel-tree
	@$(TOP)/scripts/kernel-deb $(FLAVOUR)

# Boots the vmlinuz of the .deb that kernel-deb made, runs the guest suite.
check-deb: initramfs
	@$(TOP)/scripts/check-deb $(FLAVOUR)

deb: deps
	@$(TOP)/scripts/deb

# make check runs only the configuration step of kernel-deb (seconds).
HOST_TESTS += $(TOP)/tests/host/test_kernel_deb.sh
