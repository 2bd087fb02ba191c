# The debug kernel (tinyconfig + test.config + debug.config: KASAN, DEBUG_VM,
# lockdep, atomic-sleep, lockup and hung-task detectors, kmemleak) and
# 'make check-debug', which runs the whole guest suite on it. Included by
# tests/tests.mk. See doc/reliability.md for times and figures.
#
#   make kernel-debug   build build/kernel-debug (~ a test kernel build + KASAN)
#   make check-debug    every guest test on the debug kernel, stress 60 s,
#                       fuzzer 300 s, then a kmemleak scan; results in
#                       build/tests/debug.tap

DEBUG_BZIMAGE := $(B)/kernel-debug/arch/x86/boot/bzImage
# Guest-wide limit and per-test timeout factor: KASAN + lockdep under TCG
# are several times slower than the test kernel.
DEBUG_GUEST_TIMEOUT ?= 5400
DEBUG_TIMEOUT_SCALE ?= 4
DEBUG_STRESS_SECS ?= 60
DEBUG_FUZZ_SECS ?= 300

.PHONY: kernel-debug check-debug

kernel-debug: kernel-tree
	@$(TOP)/scripts/kernel-build debug

check-debug: kernel-debug initramfs
	@mkdir -p $(RESULTS)
	@echo "=== guest tests on the debug kernel (stress $(DEBUG_STRESS_SECS) s, fuzz $(DEBUG_FUZZ_SECS) s)"
	@KSM_VM_KERNEL=$(DEBUG_BZIMAGE) $(TOP)/tests/vm/vm-run --timeout $(DEBUG_GUEST_TIMEOUT) -- \
		sh -c 'export KSM_STRESS_SECS=$(DEBUG_STRESS_SECS) KSM_FUZZ_SECS=$(DEBUG_FUZZ_SECS); \
			cd /tests && run-tap -k -s $(DEBUG_TIMEOUT_SCALE) -p debug/ $$(cat LIST) kmemleak_scan' \
		| tee $(RESULTS)/debug.tap; true
	@$(TOP)/tests/summarize $(RESULTS)/debug.tap
