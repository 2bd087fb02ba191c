# Guest tests of libksm and ksmctl (patched kernel under QEMU), and the static
# tools for the guest's /bin. Included by tests/tests.mk.

GKT := $(B)/guest/tests
SECCOMP_LIBS ?= -lseccomp
GUEST_KSM_CFLAGS := -static $(CFLAGS) $(WARN) -I$(TOP)/include -I$(TOP)/tests/host

GUEST_TESTS += $(GKT)/libksm_guest $(TOP)/tests/guest/ksmctl/ksmctl_guest.sh \
	$(GKT)/join_guest $(TOP)/tests/guest/ksmctl/partition_scan.sh
GUEST_FILES += $(B)/guest/bin/ksmctl $(B)/guest/bin/ksm-exec $(B)/guest/bin/ksm-probe $(B)/guest/bin/pfn-count

guest-tests-built: $(GKT)/libksm_guest $(GKT)/join_guest $(B)/guest/bin/ksmctl $(B)/guest/bin/ksm-exec \
	$(B)/guest/bin/ksm-probe $(B)/guest/bin/pfn-count

$(GKT)/libksm_guest: $(TOP)/tests/guest/ksmctl/libksm_guest.c $(TOP)/tests/host/ksft.h $(TOP)/tests/lib/ksm_test_util.h $(LIBKSM_A)
	@mkdir -p $(@D)
	$(CC) $(GUEST_KSM_CFLAGS) -o $@ $< $(LIBKSM_A)

$(GKT)/join_guest: $(TOP)/tests/guest/ksmctl/join_guest.c $(TOP)/tests/host/ksft.h $(TOP)/tests/lib/ksm_test_util.h $(LIBKSM_A)
	@mkdir -p $(@D)
	$(CC) $(GUEST_KSM_CFLAGS) -o $@ $< $(LIBKSM_A)

$(B)/guest/bin/ksm-probe: $(TOP)/tests/host/ksm-probe.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_KSM_CFLAGS) -o $@ $< $(SECCOMP_LIBS)

$(B)/guest/bin/pfn-count: $(TOP)/tests/host/pfn-count.c
	@mkdir -p $(@D)
	$(CC) $(GUEST_KSM_CFLAGS) -o $@ $<
