# Hardening tests (issue 6): bad inputs, stress, fuzzing. Guest tests of the
# patched kernel; tests/debug.mk also runs them on the debug kernel.
# Included by tests/tests.mk.

GHT := $(B)/guest/tests
HARDEN_CFLAGS := -static $(CFLAGS) $(WARN) -Wno-unused-result -I$(TOP)/tests/host

GUEST_TESTS += $(GHT)/ksm_badinput

$(GHT)/ksm_badinput: $(TOP)/tests/guest/hardening/ksm_badinput.c $(TOP)/tests/host/ksft.h
	@mkdir -p $(@D)
	$(CC) $(HARDEN_CFLAGS) -o $@ $<
