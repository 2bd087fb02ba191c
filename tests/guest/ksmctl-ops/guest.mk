# Guest tests of ksmctl's operator commands (patched kernel under QEMU):
# metrics against real partitions. They use /bin/ksmctl, ksm-probe and
# pfn-count, which tests/guest/ksmctl/guest.mk puts in the guest.
# Included by tests/tests.mk.

GUEST_TESTS += $(TOP)/tests/guest/ksmctl-ops/metrics_guest.sh
