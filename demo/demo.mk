# make demo: the operator's view of Selective KSM, in the patched kernel under
# QEMU. demo/ksm-demo.sh runs in the guest (as /bin/ksm-demo, built into the
# initramfs by tests/guest/demo/guest.mk with microvm and pfn-census); the
# "guest kernel image" and "initramfs" loaded into every microVM are the real
# files of this build: the test kernel's bzImage and the test initramfs.
# DEMO_RAM_MIB, DEMO_UNIQUE_PCT, DEMO_VMS, DEMO_TENANTS tune it.
.PHONY: demo
demo: deps kernel initramfs
	@$(TOP)/tests/vm/vm-run --mem 2048 --timeout 600 \
		--add $(BZIMAGE) --add $(INITRAMFS) -- \
		env DEMO_RAM_MIB=$${DEMO_RAM_MIB:-64} DEMO_UNIQUE_PCT=$${DEMO_UNIQUE_PCT:-15} \
		DEMO_VMS=$${DEMO_VMS:-3} DEMO_TENANTS="$${DEMO_TENANTS:-acme globex initech}" \
		ksm-demo
-include $(TOP)/demo/qemu/qemu.mk
