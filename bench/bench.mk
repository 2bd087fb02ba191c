# make bench: Selective KSM against ksmd (defaults and full speed) and the
# read-and-hash limit, on a running guest and on THP, its cost per page from
# 64 MiB to BENCH_MAXMIB, the cost of reading the counters, scaling with
# partitions, in one boot of the patched kernel. Every case runs REPEAT times,
# interleaved; bench/report gives medians, min-max and the verdict of each
# target (met, missed, inconclusive). Writes build/bench/raw.txt, results.md
# and pages-sharing.png. Not part of make check (tests/host/test_bench_report.sh
# checks the report's arithmetic).
#
#   make bench [REPEAT=3] [BENCH_MAXMIB=2048] [BENCH_ARGS='-m abc ...']
#   make bench-profile [PROFILE_CASES='c b h'] [PROFILE_MIB=256]
#
# bench-profile: instructions of the guest kernel per merged page by
# function, for one run of each case (bench/profile: a QEMU TCG plugin; perf
# cannot be used in the test guest), into build/bench/profile/profile.md.
#
# BENCH_ARGS passes options to ksm-bench (/extra/ksm-bench -h: -s MIB total,
# -n processes, -u unique %, -a MIB for ksmd defaults, -P most partitions,
# -R MIB merged for the read latencies, -i idle seconds, -m which cases).
.PHONY: bench bench-profile bench-memcmp
BENCH := $(B)/bench
REPEAT ?= 3
BENCH_MAXMIB ?= 2048
BENCH_ARGS ?=
# the guest holds BENCH_MAXMIB of workload plus the kernel's and ksm's own
BENCH_MEM ?= $(shell echo $$(( $(BENCH_MAXMIB) + 2048 > 3072 ? $(BENCH_MAXMIB) + 2048 : 3072 )))
BENCH_TIMEOUT ?= 7200
HOST_TESTS += $(TOP)/tests/host/test_bench_report.sh

$(BENCH)/ksm-bench: $(TOP)/bench/ksm-bench.c
	@mkdir -p $(@D)
	$(CC) -static $(CFLAGS) $(WARN) -o $@ $<

bench: deps kernel $(BENCH)/ksm-bench
	@echo "bench: $(REPEAT) repetitions, up to $(BENCH_MAXMIB) MiB; about $(REPEAT) x 4 minutes under emulation"
	{ echo "config host_nproc $$(nproc)"; echo "config host_load_before $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	  echo "config qemu $$(qemu-system-x86_64 --version | head -n1)"; } >$(BENCH)/raw.txt
	nice -n 10 $(TOP)/tests/vm/vm-run --mem $(BENCH_MEM) --timeout $(BENCH_TIMEOUT) \
		--add $(BENCH)/ksm-bench -- /extra/ksm-bench -r $(REPEAT) -S $(BENCH_MAXMIB) \
		$(BENCH_ARGS) >>$(BENCH)/raw.txt
	echo "config host_load_after $$(cut -d' ' -f1-3 /proc/loadavg)" >>$(BENCH)/raw.txt
	$(TOP)/bench/report $(BENCH)/raw.txt $(BENCH)

PROFILE_CASES ?= c b h
PROFILE_MIB ?= 256
bench-profile: deps kernel
	$(TOP)/bench/profile -s $(PROFILE_MIB) $(BENCH)/profile $(PROFILE_CASES)

# bench-memcmp: the native cost of memcmp_pages()'s loop (kernel patch 0004)
# against the generic memcmp(), in user space on the host (no guest).
$(BENCH)/memcmp-pages: $(TOP)/bench/memcmp-pages.c
	@mkdir -p $(@D)
	$(CC) -O2 -fno-tree-vectorize -fno-builtin $(WARN) -o $@ $<

bench-memcmp: $(BENCH)/memcmp-pages
	$(BENCH)/memcmp-pages 7
