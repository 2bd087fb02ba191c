# The demo's programs in the guest's /bin (microvm, pfn-census, ksm-demo; see
# demo/), and a guest test that runs the demo's workload at a tiny size so
# that 'make demo' cannot rot. Included by tests/tests.mk.

DEMO_GUEST_BIN := $(B)/guest/bin/microvm $(B)/guest/bin/pfn-census $(B)/guest/bin/ksm-demo
GUEST_FILES += $(DEMO_GUEST_BIN)
GUEST_TESTS += $(TOP)/tests/guest/demo/demo_small.sh

$(B)/guest/bin/microvm: $(TOP)/demo/microvm.c
	@mkdir -p $(@D)
	$(CC) -static $(CFLAGS) $(WARN) -o $@ $<

$(B)/guest/bin/pfn-census: $(TOP)/demo/pfn-census.c
	@mkdir -p $(@D)
	$(CC) -static $(CFLAGS) $(WARN) -o $@ $<

$(B)/guest/bin/ksm-demo: $(TOP)/demo/ksm-demo.sh
	@mkdir -p $(@D)
	install -m 755 $< $@
