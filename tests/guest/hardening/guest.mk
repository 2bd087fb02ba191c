# Hardening tests of issue 6 (bad inputs, permissions, stress, fuzzing) and
# the kmemleak scan that 'make check-debug' runs last (tests/debug.mk runs
# the whole guest suite on the debug kernel). Included by tests/tests.mk;
# see doc/reliability.md.
#
# NOTE: two helpers write here at once: put other rules in another *.mk here.

# ---- badinput (bad-input table), perm (permissions), kmemleak_scan
HARD := $(TOP)/tests/guest/hardening
HARD_TESTS := badinput perm
HARD_CFLAGS := $(GUEST_CFLAGS) -Wno-missing-field-initializers -I$(HARD) -pthread

$(addprefix $(GT)/,$(HARD_TESTS)): $(GT)/%: $(HARD)/%.c $(HARD)/hardening.h $(TOP)/tests/lib/ksm_test_util.h | kernel-headers
	@mkdir -p $(@D)
	$(CC) $(HARD_CFLAGS) -o $@ $<

GUEST_TESTS += $(addprefix $(GT)/,$(HARD_TESTS))
$(GT)/kmemleak_scan: $(HARD)/kmemleak_scan.sh
	@mkdir -p $(@D)
	install -m 755 $< $@
GUEST_FILES_TESTS += $(GT)/kmemleak_scan

# ---- the other fragments of this directory (stress-fuzz.mk: ksm_stress,
# ksm_fuzz, ksm_badinput), each owned by its author
-include $(filter-out %/guest.mk,$(wildcard $(HARD)/*.mk))
