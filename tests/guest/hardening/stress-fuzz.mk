# ksm_stress, ksm_fuzz, ksm_badinput (written by the parallel task-C helper),
# included by guest.mk.
GHT := $(B)/guest/tests
HARDEN := $(TOP)/tests/guest/hardening
HARDEN_CFLAGS := -static $(CFLAGS) $(WARN) -Wno-unused-result -I$(TOP)/tests/host

GUEST_TESTS += $(GHT)/ksm_badinput $(HARDEN)/ksm_stress.sh $(HARDEN)/ksm_fuzz.sh
GUEST_FILES_TESTS += $(GHT)/ksm_stress $(GHT)/ksm_fuzz $(HARDEN)/fuzz-seeds $(HARDEN)/kmemleak_check.sh

$(GHT)/ksm_badinput $(GHT)/ksm_fuzz: $(GHT)/%: $(HARDEN)/%.c $(TOP)/tests/host/ksft.h
	@mkdir -p $(@D)
	$(CC) $(HARDEN_CFLAGS) -o $@ $<

$(GHT)/ksm_stress: $(HARDEN)/ksm_stress.c $(TOP)/tests/host/ksft.h
	@mkdir -p $(@D)
	$(CC) $(HARDEN_CFLAGS) -pthread -o $@ $<
