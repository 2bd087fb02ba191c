# Host test of ksm-oci (the OCI runtime wrapper) with a fake runtime.
# Included by tests/tests.mk.
HOST_TESTS += $(TOP)/tests/host/test_ksm_oci.sh
host-tests-built: $(B)/bin/ksm-oci
