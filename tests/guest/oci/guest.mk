# Guest test of ksm-oci with a real OCI runtime: Debian's crun (dynamic,
# copied into the initramfs with its libraries) runs busybox containers
# joined to partitions by annotation. Included by tests/tests.mk.

GUEST_TESTS += $(TOP)/tests/guest/oci/ksm_oci_guest.sh
GUEST_FILES += $(B)/guest/bin/ksm-oci
GUEST_DYN += /usr/bin/crun
guest-tests-built: $(B)/guest/bin/ksm-oci
