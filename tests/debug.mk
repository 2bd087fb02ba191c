# The debug kernel (tinyconfig + test.config + debug.config: KASAN, DEBUG_VM,
# lockdep, atomic-sleep, lockup and hung-task detectors, DEBUG_LIST, kmemleak)
# and the guest suite on it. Included by tests/tests.mk. See
# doc/reliability.md for times and figures.
#
#   make kernel-debug        build build/kernel-debug
#   make check-debug         every guest test on the debug kernel, stress 60 s,
#                            fuzzer 300 s, then a kmemleak scan; results in
#                            build/tests/debug.tap
#   make check-debug-subset  DEBUG_SUBSET only (what 'make check' runs on it)

DEBUG_BZIMAGE := $(B)/kernel-debug/arch/x86/boot/bzImage
# Guest-wide limit and per-test timeout factor: KASAN + lockdep under TCG
# are several times slower than the test kernel.
DEBUG_GUEST_TIMEOUT ?= 5400
DEBUG_TIMEOUT_SCALE ?= 4
DEBUG_STRESS_SECS ?= 60
DEBUG_FUZZ_SECS ?= 300
DEBUG_SUBSET := ksm_badinput ksm_stress.sh ksm_fuzz.sh kmemleak_check.sh

.PHONY: kernel-debug check-debug check-debug-subset

kernel-debug: kernel-tree
	@$(TOP)/scripts/kernel-build debug

# debug-run FUZZ_SECS TESTS: one boot of the debug kernel, TAP to debug.tap
define debug-run
	@mkdir -p $(RESULTS)
	@echo "=== guest tests on the debug kernel (stress $(DEBUG_STRESS_SECS) s, fuzz $(1) s)"
	@$(TOP)/tests/vm/vm-run --kernel $(DEBUG_BZIMAGE) --timeout $(DEBUG_GUEST_TIMEOUT) -- \
		sh -c 'export KSM_STRESS_SECONDS=$(DEBUG_STRESS_SECS) KSM_FUZZ_SECONDS=$(1); \
			cd /tests && run-tap -k -s $(DEBUG_TIMEOUT_SCALE) -p debug/ $(2)' \
		| tee $(RESULTS)/debug.tap; true
endef

check-debug: deps kernel-debug initramfs
	$(call debug-run,$(DEBUG_FUZZ_SECS),$$(cat LIST) kmemleak_check.sh)
	@$(TOP)/tests/summarize $(RESULTS)/debug.tap

check-debug-subset: deps kernel-debug initramfs
	$(call debug-run,20,$(DEBUG_SUBSET))
	@$(TOP)/tests/summarize $(RESULTS)/debug.tap
