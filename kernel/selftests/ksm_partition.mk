# The ksm_partition kselftest, run in the guest by 'make check'. Its source
# lives in the kernel series (last patch: tools/testing/selftests/mm/
# ksm_partition.c), so it builds from the prepared tree, like the upstream
# KSM selftests in tests/tests.mk. By hand:
#   make build/guest/tests/ksm_partition
#   tests/vm/vm-run --add build/guest/tests/ksm_partition -- /extra/ksm_partition [-b MIB]
$(GT)/ksm_partition: $(MM_ST)/ksm_partition.c $(MM_ST)/vm_util.c | kernel-headers
	@mkdir -p $(@D)
	$(CC) $(GUEST_CFLAGS) -I$(MM_ST) -o $@ $^
GUEST_TESTS += $(GT)/ksm_partition
