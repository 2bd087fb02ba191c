# Host tests (stock kernel of this machine): libksm, ksm-exec, ksmctl, a real VMM.
# Included by tests/tests.mk (or the top Makefile). Appends to HOST_TESTS and
# makes everything a prerequisite of host-tests-built.

HT := $(B)/tests/host
HOST_TEST_CFLAGS := $(CFLAGS) $(WARN) -I$(TOP)/include -I$(TOP)/tests/host
SECCOMP_LIBS := $(or $(shell pkg-config --libs libseccomp 2>/dev/null),-lseccomp)

HOST_TEST_PROGS := $(HT)/test_libksm
HOST_TEST_HELPERS := $(HT)/ksm-probe $(HT)/seccomp-run $(HT)/pfn-count $(HT)/shared-pfns
HOST_TEST_SCRIPTS := $(TOP)/tests/host/test_ksm_exec.sh $(TOP)/tests/host/test_ksmctl.sh \
	$(TOP)/tests/host/test_vmm.sh $(TOP)/tests/host/test_cover_letter.sh

HOST_TESTS += $(HOST_TEST_PROGS) $(HOST_TEST_SCRIPTS)

# the scripts find the build and the test kernel through these
export KSM_BUILD := $(B)
export KSM_BZIMAGE := $(BZIMAGE)

.PHONY: host-tests-built
host-tests-built: $(HOST_TEST_PROGS) $(HOST_TEST_HELPERS) $(B)/bin/ksmctl $(B)/bin/ksm-exec

$(HT)/test_libksm: $(TOP)/tests/host/test_libksm.c $(TOP)/tests/host/ksft.h $(B)/lib/libksm.so
	@mkdir -p $(@D)
	$(CC) $(HOST_TEST_CFLAGS) -o $@ $< -L$(B)/lib -lksm -Wl,-rpath,$(B)/lib $(SECCOMP_LIBS)

$(HT)/ksm-probe $(HT)/seccomp-run: $(HT)/%: $(TOP)/tests/host/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_TEST_CFLAGS) -o $@ $< $(SECCOMP_LIBS)

$(HT)/pfn-count $(HT)/shared-pfns: $(HT)/%: $(TOP)/tests/host/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_TEST_CFLAGS) -o $@ $<
