# Tests: host tests (this machine's stock kernel) and guest tests (the patched
# kernel under QEMU), run by tests/run-tap and counted by tests/summarize.
#
# Fragments append to:
#   HOST_TESTS   executables run on the host (TAP; exit 0 pass, 4 skip)
#   GUEST_TESTS  static executables or busybox-sh scripts run in the guest
#   GUEST_FILES  extra static executables put in the guest's /bin
# and hang their build steps on host-tests-built / guest-tests-built.

HOST_TESTS :=
GUEST_TESTS :=
GUEST_FILES :=
GUEST_DYN := /usr/bin/jq

SELFTESTS := $(KERNEL_TREE)/tools/testing/selftests
GT := $(B)/guest/tests
GUEST_CFLAGS := -static -O2 -g -Wall -Wextra -Wno-unused-parameter \
	-I$(SELFTESTS) -I$(TOP)/tests/lib -isystem $(KHDR)

.PHONY: host-tests-built guest-tests-built

# ------------------------------------------------------------ project tests
$(GT)/ksmd_smoke: $(TOP)/tests/guest/ksmd_smoke.c $(TOP)/tests/lib/ksm_test_util.h | kernel-headers
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -o $@ $<
GUEST_TESTS += $(GT)/ksmd_smoke

# --------------------------------------------- upstream KSM selftests (mm/)
# Issue 3 requires them to keep passing on the patched kernel.
MM_ST := $(SELFTESTS)/mm
$(GT)/ksm_tests: $(MM_ST)/ksm_tests.c $(MM_ST)/vm_util.c $(MM_ST)/thp_settings.c | kernel-headers
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -w -I$(KERNEL_TREE) -o $@ $^ -lnuma
$(GT)/ksm_functional_tests: $(MM_ST)/ksm_functional_tests.c $(MM_ST)/vm_util.c | kernel-headers
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -w -o $@ $^

# The ksm_tests invocations of run_vmtests.sh, each as its own test (a
# one-line wrapper). Not the NUMA runs (-N -m 1, -N -m 0): on 2 CPUs -N -m 1
# reads the counters while ksmd may still be merging (1 run in 3 to 6
# failed); the kselftest's "numa:" rows test the per-node trees and
# migration with synchronous merges instead.
UPSTREAM_KSM_RUNS := H:-H_-s_100 P:-P_-s_100 M:-M_-p_10 U:-U Z0:-Z_-p_10_-z_0 Z1:-Z_-p_10_-z_1
define upstream_ksm_run
$(GT)/upstream_ksm_tests_$(1): $(GT)/ksm_tests $(TOP)/tests/tests.mk
	@printf '#!/bin/sh\nexec /tests/ksm_tests %s\n' "$(subst _, ,$(2))" >$$@
	@chmod +x $$@
GUEST_TESTS += $(GT)/upstream_ksm_tests_$(1)
endef
$(foreach r,$(UPSTREAM_KSM_RUNS),$(eval $(call upstream_ksm_run,$(word 1,$(subst :, ,$(r))),$(word 2,$(subst :, ,$(r))))))
GUEST_FILES_TESTS := $(GT)/ksm_tests
$(GT)/upstream_ksm_functional_tests: $(GT)/ksm_functional_tests $(TOP)/tests/tests.mk
	@printf '#!/bin/sh\n# test_prctl_fork_exec execs ./ksm_functional_tests, as run_vmtests.sh runs it from mm/\ncd /tests && exec ./ksm_functional_tests\n' >$@
	@chmod +x $@
GUEST_TESTS += $(GT)/upstream_ksm_functional_tests
GUEST_FILES_TESTS += $(GT)/ksm_functional_tests

# ------------------------------------------------------------ harness tests
HOST_TESTS += $(TOP)/tests/vm/harness-test

# Fragments of the other parts (userspace, kernel selftests, ...).
-include $(wildcard $(TOP)/tests/host/*.mk $(TOP)/tests/guest/*/guest.mk $(TOP)/kernel/selftests/*.mk)

host-tests-built:
guest-tests-built: $(GUEST_TESTS) $(GUEST_FILES_TESTS) $(GUEST_FILES)

# ------------------------------------------------------------ initramfs
INITRAMFS := $(B)/initramfs.cpio.gz
INITRAMFS_INPUTS := $(TOP)/tests/vm/init $(TOP)/tests/run-tap $(TOP)/tests/vm/mkinitramfs \
	$(GUEST_TESTS) $(GUEST_FILES_TESTS) $(GUEST_FILES) $(wildcard $(addsuffix .timeout,$(GUEST_TESTS)))

initramfs: $(INITRAMFS)
# Rebuilt only when an input or a makefile changed (no phony prerequisite:
# an unchanged initramfs lets make check reuse the debug kernel's results).
$(INITRAMFS): $(INITRAMFS_INPUTS) $(GUEST_DYN) $(MAKEFILE_LIST) | guest-tests-built
	@mkdir -p $(B)/guest
	@printf '%s\n' $(notdir $(GUEST_TESTS)) >$(B)/guest/LIST
	$(TOP)/tests/vm/mkinitramfs -z -o $@ --base \
		--file /bin/busybox /bin/busybox \
		--file $(TOP)/tests/vm/init /init \
		--file $(TOP)/tests/run-tap /bin/run-tap \
		--file $(B)/guest/LIST /tests/LIST \
		$(foreach t,$(GUEST_TESTS) $(GUEST_FILES_TESTS),--file $(t) /tests/$(notdir $(t))) \
		$(foreach t,$(wildcard $(addsuffix .timeout,$(GUEST_TESTS))),--file $(t) /tests/$(notdir $(t))) \
		$(foreach f,$(GUEST_FILES),--file $(f) /bin/$(notdir $(f))) \
		$(foreach f,$(GUEST_DYN),--dyn $(f) /bin/$(notdir $(f)))

# ------------------------------------------------------------ running
# Every guest test in one boot; run-tap checks the kernel log after each.
GUEST_TIMEOUT ?= 1500
RESULTS := $(B)/tests

check-host: host-tests-built
	@mkdir -p $(RESULTS)
	@$(TOP)/tests/run-tap -p host/ $(HOST_TESTS) | tee $(RESULTS)/host.tap
	@$(TOP)/tests/summarize $(RESULTS)/host.tap

check-guest: kernel initramfs
	@mkdir -p $(RESULTS)
	@$(TOP)/tests/vm/vm-run --timeout $(GUEST_TIMEOUT) -- \
		sh -c 'cd /tests && run-tap -k -p guest/ $$(cat LIST)' | tee $(RESULTS)/guest.tap; \
		rc=$${PIPESTATUS[0]}; [ $$rc = 0 ] || echo "vm-run exit status $$rc" >&2
	@$(TOP)/tests/summarize $(RESULTS)/guest.tap

# make check: build everything, run all host tests, then all guest tests,
# and end with one line "N passed, N failed, N skipped".
check: deps kernel userspace host-tests-built initramfs
	@mkdir -p $(RESULTS)
	@rm -f $(RESULTS)/host.tap $(RESULTS)/guest.tap
	@echo "=== host tests (kernel $$(uname -r))"
	@$(TOP)/tests/run-tap -p host/ $(HOST_TESTS) | tee $(RESULTS)/host.tap
	@echo "=== guest tests (patched kernel under QEMU)"
	@$(TOP)/tests/vm/vm-run --timeout $(GUEST_TIMEOUT) -- \
		sh -c 'cd /tests && run-tap -k -p guest/ $$(cat LIST)' | tee $(RESULTS)/guest.tap; true
	@$(MAKE) -s qemu-in-check
	@$(MAKE) -s debug-in-check
	@$(TOP)/tests/summarize $(RESULTS)/host.tap $(RESULTS)/guest.tap $(QEMU_TAP) $(DEBUG_TAP)
-include $(TOP)/tests/debug.mk
