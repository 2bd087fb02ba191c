# The deduplication timing attack (issue 16) and the audit of the channels
# that could tell one tenant about another's merging. Included by
# tests/tests.mk; make demo-attack is in demo/attack/attack.mk.
GUEST_TESTS += $(TOP)/tests/guest/attack/attack_small.sh $(GT)/channels
guest-tests-built: $(GT)/channels

$(GT)/channels: $(TOP)/tests/guest/attack/channels.c $(TOP)/tests/host/ksft.h $(TOP)/tests/lib/ksm_test_util.h $(LIBKSM_A)
	@mkdir -p $(@D)
	$(CC) -static $(CFLAGS) $(WARN) -I$(TOP)/include -I$(TOP)/tests/lib -I$(TOP)/tests/host -o $@ $< $(LIBKSM_A)

-include $(TOP)/demo/attack/attack.mk
