# make demo-qemu: real QEMU guests as tenants (demo/qemu/ksm-qemu-demo.sh).
# The patched kernel boots an initramfs made of the test initramfs plus an
# overlay with Debian's qemu-system-x86_64, its shared libraries, its TCG
# module and firmware, the test bzImage and a busybox initramfs for the
# inner guests; the demo runs there and starts the inner guests with QEMU
# (nested TCG: this machine has no KVM). Included by demo/demo.mk.
# QDEMO_TENANTS, QDEMO_VMS, QDEMO_MEM_MIB, QDEMO_SCAN... in the environment tune
# it (see the script); QDEMO_MEM and QDEMO_TIMEOUT are the outer guest's.

QDEMO := $(B)/demo-qemu
QDEMO_QEMU := /usr/bin/qemu-system-x86_64
# Debian builds TCG as a loadable module; other builds have it built in.
QDEMO_QEMU_MODULES := $(wildcard /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so)
# SeaBIOS, the option ROM that boots -kernel, and the TCG vapic ROM:
# what -machine pc opens (strace), found by QEMU relative to its binary.
QDEMO_FIRMWARE := /usr/share/seabios/bios-256k.bin /usr/share/qemu/linuxboot_dma.bin \
	/usr/share/qemu/kvmvapic.bin
QDEMO_MEM ?= 1536
QDEMO_TIMEOUT ?= 2400

.PHONY: demo-qemu demo-qemu-initramfs
demo-qemu-initramfs: $(QDEMO)/initramfs.cpio.gz

# The inner guests' initramfs: busybox and a shell on the serial console.
$(QDEMO)/inner.cpio.gz: $(TOP)/demo/qemu/inner-init $(TOP)/tests/vm/mkinitramfs
	@mkdir -p $(@D)
	$(TOP)/tests/vm/mkinitramfs -z -o $@ --base \
		--file /bin/busybox /bin/busybox --file $(TOP)/demo/qemu/inner-init /init

$(QDEMO)/file-pages: $(TOP)/demo/qemu/file-pages.c
	@mkdir -p $(@D)
	$(CC) -static $(CFLAGS) $(WARN) -o $@ $<

$(QDEMO)/overlay.cpio.gz: $(QDEMO)/inner.cpio.gz $(QDEMO)/file-pages $(BZIMAGE) $(TOP)/demo/qemu/ksm-qemu-demo.sh \
		$(TOP)/demo/qemu/qemu.mk $(TOP)/tests/vm/mkinitramfs
	@test -x $(QDEMO_QEMU) || { echo "demo-qemu: $(QDEMO_QEMU) missing: make deps"; exit 1; }
	$(TOP)/tests/vm/mkinitramfs -z -o $@ \
		--dyn $(QDEMO_QEMU) $(QDEMO_QEMU) \
		$(foreach m,$(QDEMO_QEMU_MODULES),--dyn $(m) $(m)) \
		$(foreach f,$(QDEMO_FIRMWARE),--file $(f) $(f)) \
		--file $(BZIMAGE) /usr/share/ksm-demo/bzImage \
		--file $(QDEMO)/inner.cpio.gz /usr/share/ksm-demo/inner.cpio.gz \
		--file $(TOP)/demo/qemu/ksm-qemu-demo.sh /bin/ksm-qemu-demo \
		--file $(QDEMO)/file-pages /bin/file-pages

# The test initramfs (busybox, ksmctl, ksm-exec, pfn-census, jq), then the
# overlay: the kernel unpacks concatenated archives, each on a 4-byte boundary.
$(QDEMO)/initramfs.cpio.gz: $(INITRAMFS) $(QDEMO)/overlay.cpio.gz
	@size=$$(stat -c %s $(INITRAMFS)); \
	{ cat $(INITRAMFS); head -c $$(((4 - size % 4) % 4)) /dev/zero; cat $(QDEMO)/overlay.cpio.gz; } >$@.tmp
	@mv $@.tmp $@

# Every QDEMO_* variable of the environment goes to the script in the guest.
demo-qemu: deps kernel initramfs demo-qemu-initramfs
	@vars=(); while IFS= read -r v; do vars+=("$$v"); done < <(env | grep '^QDEMO_[A-Z_]*=' || true); \
	$(TOP)/tests/vm/vm-run --mem $(QDEMO_MEM) --timeout $(QDEMO_TIMEOUT) \
		--initramfs $(QDEMO)/initramfs.cpio.gz -- env "$${vars[@]}" ksm-qemu-demo

# make check-qemu: the same demo as one guest test (tests/run-tap -k: its
# exit status, and no BUG/WARNING/KASAN... in the kernel log), counted by
# tests/summarize. Not part of make check: booting 4 nested guests takes
# minutes on a 2-core machine without KVM (see the README).
.PHONY: check-qemu
check-qemu: deps kernel initramfs demo-qemu-initramfs
	@mkdir -p $(RESULTS)
	@$(TOP)/tests/vm/vm-run --mem $(QDEMO_MEM) --timeout $(QDEMO_TIMEOUT) \
		--initramfs $(QDEMO)/initramfs.cpio.gz -- \
		run-tap -k -t $(QDEMO_TIMEOUT) -p guest/ /bin/ksm-qemu-demo | tee $(RESULTS)/qemu.tap; true
	@$(TOP)/tests/summarize $(RESULTS)/qemu.tap

# What 'make check' runs of it (tests/tests.mk calls qemu-in-check):
#   QEMU_IN_CHECK=small  (default) 2 tenants x 1 guest: both merge paths, the
#                        census, isolation, consoles, ksmd idle; about 75 s
#                        here (a guest per tenant: what merges is each guest's
#                        own duplicates; make check-qemu has 2 per tenant)
#   QEMU_IN_CHECK=none   nothing (the QEMU initramfs is not even built)
# As for the debug kernel: when neither the kernel nor the initramfs changed
# since a run that passed, its result is reused (QEMU_RERUN=1 reruns).
QEMU_IN_CHECK ?= small
QEMU_STAMP := $(RESULTS)/qemu.pass
.PHONY: qemu-in-check
ifeq ($(QEMU_IN_CHECK),none)
QEMU_TAP :=
qemu-in-check:
else
QEMU_TAP := $(RESULTS)/qemu.tap
qemu-in-check: kernel initramfs demo-qemu-initramfs
	@mkdir -p $(RESULTS)
	@key="$$(cat $(BZIMAGE) $(QDEMO)/initramfs.cpio.gz | sha256sum | cut -c1-32) $(QEMU_IN_CHECK)"; \
	if [ -z "$(QEMU_RERUN)" ] && [ -s $(QEMU_TAP) ] && [ "$$(cat $(QEMU_STAMP) 2>/dev/null)" = "$$key" ]; then \
		echo "=== QEMU guests as tenants: kernel and initramfs unchanged since the run of"; \
		echo "    $$(date -r $(QEMU_STAMP) '+%F %T'), which passed: its result is reused (QEMU_RERUN=1 reruns)"; \
		grep -E '^(not )?ok [0-9]' $(QEMU_TAP); \
	else \
		rm -f $(QEMU_STAMP) $(QEMU_TAP); \
		echo "=== QEMU guests as tenants (2 tenants x 1 guest, nested TCG)"; \
		$(TOP)/tests/vm/vm-run --mem $(QDEMO_MEM) --timeout $(QDEMO_TIMEOUT) \
			--initramfs $(QDEMO)/initramfs.cpio.gz -- \
			sh -c 'export QDEMO_VMS=1; run-tap -k -t $(QDEMO_TIMEOUT) -p guest/ /bin/ksm-qemu-demo' \
			| tee $(QEMU_TAP); \
		if $(TOP)/tests/summarize $(QEMU_TAP) >/dev/null 2>&1; then echo "$$key" > $(QEMU_STAMP); fi; \
	fi
endif
