# The ksm_partition kselftest (upstream: tools/testing/selftests/mm/
# ksm_partition.c, the last patch of the series), run in the guest by
# 'make check'. kernel/selftests/build.sh builds the same binary by hand.
$(GT)/ksm_partition: $(TOP)/kernel/selftests/ksm_partition.c $(SELFTESTS)/mm/vm_util.c | kernel-headers
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -I$(SELFTESTS)/mm -o $@ $^
GUEST_TESTS += $(GT)/ksm_partition
