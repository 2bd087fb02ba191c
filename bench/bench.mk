# make bench: Selective KSM against ksmd (defaults and full speed) and the
# read-and-hash limit, plus scaling with size and partition count, in one boot
# of the patched kernel. Writes build/bench/raw.txt, results.md and
# pages-sharing.png (bench/report). BENCH_ARGS passes options to ksm-bench
# (-s MIB total, -n processes, -u unique %, -a MIB for ksmd defaults,
# -S largest MIB, -P most partitions, -m which parts: abcdef, z, p, s).
.PHONY: bench
BENCH := $(B)/bench
BENCH_ARGS ?=

$(BENCH)/ksm-bench: $(TOP)/bench/ksm-bench.c
	@mkdir -p $(@D)
	$(CC) -static $(CFLAGS) $(WARN) -o $@ $<

bench: deps kernel initramfs $(BENCH)/ksm-bench
	@echo "bench: about 4 minutes under emulation"
	$(TOP)/tests/vm/vm-run --mem 3072 --timeout 1800 --add $(BENCH)/ksm-bench -- \
		/extra/ksm-bench $(BENCH_ARGS) >$(BENCH)/raw.txt
	$(TOP)/bench/report $(BENCH)/raw.txt $(BENCH)
