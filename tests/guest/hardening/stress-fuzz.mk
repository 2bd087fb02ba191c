# ksm_stress and ksm_fuzz (issue 6 points 2 and 5), included by guest.mk.
# In make check: stress 15 s, fuzz 20 s (plus the replays of fuzz-seeds);
# tests/debug.mk runs them on the debug kernel for 60 s and 300 s
# (KSM_STRESS_SECS, KSM_FUZZ_SECS).
SFT := $(B)/guest/tests
SFDIR := $(TOP)/tests/guest/hardening
SF_CFLAGS := -static $(CFLAGS) $(WARN) -Wno-unused-result -I$(TOP)/tests/host

GUEST_TESTS += $(SFDIR)/ksm_stress.sh $(SFDIR)/ksm_fuzz.sh
GUEST_FILES_TESTS += $(SFT)/ksm_stress $(SFT)/ksm_fuzz $(SFDIR)/fuzz-seeds

$(SFT)/ksm_fuzz: $(SFDIR)/ksm_fuzz.c $(TOP)/tests/host/ksft.h
	@mkdir -p $(@D)
	$(CC) $(SF_CFLAGS) -o $@ $<

$(SFT)/ksm_stress: $(SFDIR)/ksm_stress.c $(TOP)/tests/host/ksft.h $(TOP)/tests/lib/ksm_test_util.h $(TOP)/tests/lib/ksm_invariant.h
	@mkdir -p $(@D)
	$(CC) $(SF_CFLAGS) -pthread -o $@ $<

# ksm-invariant (issue 13): the isolation invariant over every process,
# for any guest test or by hand; ksm_stress runs the same check throughout.
GUEST_FILES += $(SFT)/ksm-invariant
$(SFT)/ksm-invariant: $(SFDIR)/ksm_invariant.c $(TOP)/tests/lib/ksm_invariant.h $(TOP)/tests/lib/ksm_test_util.h
	@mkdir -p $(@D)
	$(CC) $(SF_CFLAGS) -I$(TOP)/tests/lib -o $@ $<
