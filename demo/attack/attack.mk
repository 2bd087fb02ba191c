# make demo-attack: the deduplication timing attack (demo/attack/ksm-attack.c)
# in the patched kernel under QEMU, against ksmd's global domain, one shared
# partition and two partitions. Writes build/attack/raw.txt (the guest's
# output), results.md (the table) and write.png, unmap.png, read.png (probe
# time histograms) through demo/attack/report. Included by
# tests/guest/attack/guest.mk; ATTACK_ARGS passes options to ksm-attack.
.PHONY: demo-attack
ATTACK := $(B)/attack
ATTACK_ARGS ?= --trials 10000 --batch 1000 --probe all
ATTACK_BIN := $(B)/guest/bin/ksm-attack
GUEST_FILES += $(ATTACK_BIN)
guest-tests-built: $(ATTACK_BIN)

$(ATTACK_BIN): $(TOP)/demo/attack/ksm-attack.c $(TOP)/include/ksm.h $(TOP)/tests/lib/ksm_test_util.h $(LIBKSM_A)
	@mkdir -p $(@D)
	$(CC) -static $(CFLAGS) $(WARN) -I$(TOP)/include -I$(TOP)/tests/lib -o $@ $< $(LIBKSM_A) -lm

# Under TCG the guest's rdtsc reads the host's counter: its rate is measured here.
$(ATTACK)/tsc-mhz: $(TOP)/demo/attack/tsc-mhz.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -o $@ $<

demo-attack: deps kernel $(ATTACK_BIN) $(ATTACK)/tsc-mhz
	@echo "demo-attack: about 3 minutes under emulation"
	$(TOP)/tests/vm/vm-run --mem 2048 --timeout 3000 --add $(ATTACK_BIN) -- \
		/extra/ksm-attack --tsc-mhz $$($(ATTACK)/tsc-mhz) $(ATTACK_ARGS) \
		| tee $(ATTACK)/raw.txt | grep -v '^@'; \
		[ $${PIPESTATUS[0]} = 0 ]
	$(TOP)/demo/attack/report $(ATTACK)/raw.txt $(ATTACK)
