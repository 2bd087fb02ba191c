# Host tests of ksmctl's operator commands: metrics (Prometheus text format,
# checked by promtool from Debian's prometheus package) and partition apply
# (boot-time partitions; its systemd units checked by systemd-analyze verify).
# Included by tests/tests.mk; the scripts need only $(B)/bin/ksmctl, which
# host-tests-built already builds.

HOST_TESTS += $(TOP)/tests/host/test_ksmctl_metrics.sh $(TOP)/tests/host/test_ksmctl_apply.sh \
	$(TOP)/tests/host/test_ksm_units.sh
