# Guest tests of ksmctl's operator commands (patched kernel under QEMU):
# metrics against real partitions, and partition apply (the step that
# ksm-partitions.service runs at boot). They use /bin/ksmctl, ksm-exec,
# ksm-probe and pfn-count, which tests/guest/ksmctl/guest.mk puts in the
# guest. Included by tests/tests.mk.

GUEST_TESTS += $(TOP)/tests/guest/ksmctl-ops/metrics_guest.sh $(TOP)/tests/guest/ksmctl-ops/apply_guest.sh
