# bench/report.awk: the Markdown report of ksm-bench's output (run by
# bench/report; POSIX awk, mawk included).
#
# Input lines "run CASE REP KEY VALUE ... # WHAT" (one per run) and
# "config KEY VALUE ...". Every figure is the median of its case's runs,
# with their min-max. A target ratio X/Y is the ratio of the medians; its
# spread is that of the extreme combinations (min X / max Y, max X / min Y).
# Verdict: "met" when the whole spread satisfies the limit, "missed" when
# none of it does, "inconclusive" when the spread crosses the limit.

function num(v) { return v + 0 }

# values of KEY over the runs of CASE, sorted, into s[1..n]; returns n
function vals(c, k, s,    i, j, n, t) {
	n = 0
	for (i = 1; i <= nrun[c]; i++) {
		if (!((c SUBSEP i SUBSEP k) in V))
			continue
		t = num(V[c, i, k])
		if (t < 0)	# -1: not reached / not readable
			continue
		n++
		for (j = n; j > 1 && s[j - 1] > t; j--)
			s[j] = s[j - 1]
		s[j] = t
	}
	return n
}

function med(c, k,    s, n) {
	n = vals(c, k, s)
	if (!n)
		return ""
	return n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
}
function lo(c, k,    s, n) { n = vals(c, k, s); return n ? s[1] : "" }
function hi(c, k,    s, n) { n = vals(c, k, s); return n ? s[n] : "" }
function count(c, k,    s) { return vals(c, k, s) }
# runs of CASE whose wall is -1: 99% not reached
function failed(c, k,    i, n) {
	n = 0
	if (k != "wall")
		return 0
	for (i = 1; i <= nrun[c]; i++)
		if ((c SUBSEP i SUBSEP k) in V && num(V[c, i, k]) < 0)
			n++
	return n
}

# "median (min-max)" with printf format f, "-" when there is nothing
function fmt(c, k, f,    m, r) {
	m = med(c, k)
	if (m == "")
		return failed(c, k) ? "not reached" : "-"
	r = sprintf(f, m)
	if (count(c, k) > 1)
		r = r sprintf(" (" f "-" f ")", lo(c, k), hi(c, k))
	if (failed(c, k))
		r = r sprintf(", %d not reached", failed(c, k))
	return r
}

function verdict(m, l, h, op, limit) {
	if (m == "")
		return "not measured"
	if (op == "<=")
		return h <= limit ? "met" : (l > limit ? "**missed**" : "inconclusive")
	return l >= limit ? "met" : (h < limit ? "**missed**" : "inconclusive")
}

function row(name, m, l, h, op, limit, f,    meas) {
	if (m == "")
		meas = "-"
	else if (l == h)
		meas = sprintf(f, m)
	else
		meas = sprintf(f " (" f "-" f ")", m, l, h)
	printf "| %s | %s %s | %s | %s |\n", name, op, limit, meas, verdict(m, l, h, op, limit)
}

# target on one figure: CASE KEY OP LIMIT
function target1(name, c, k, op, limit, f) {
	row(name, med(c, k), lo(c, k), hi(c, k), op, limit, f)
}

# target on a ratio of figures: medians, extremes from the combinations
function target2(name, cx, kx, cy, ky, op, limit,    mx, my) {
	mx = med(cx, kx); my = med(cy, ky)
	if (mx == "" || my == "" || my <= 0 || lo(cy, ky) <= 0) {
		row(name, "", "", "", op, limit, "%.2f")
		return
	}
	row(name, mx / my, lo(cx, kx) / hi(cy, ky), hi(cx, kx) / lo(cy, ky),
	    op, limit, "%.2f")
}

function have(c) { return (c in nrun) }

$1 == "config" {
	for (i = 2; i < NF; i += 2)
		C[$i] = $(i + 1)
	# keys whose value is the rest of the line
	if ($2 == "thp_enabled" || $2 == "kernel" || $2 == "qemu" || $2 ~ /^host_load/) {
		C[$2] = $0
		sub(/^config [^ ]* /, "", C[$2])
	}
	next
}

$1 == "run" {
	c = $2; r = $3
	if (!(c in nrun)) {
		order[++ncase] = c
		nrun[c] = 0
	}
	nrun[c]++
	n = nrun[c]
	for (i = 4; i < NF && $i != "#"; i += 2)
		V[c, n, $i] = $(i + 1)
	w = $0
	if (sub(/^[^#]*# /, "", w))
		WHAT[c] = w
	# derived figures: MiB per CPU second and per wall second
	if ((c SUBSEP n SUBSEP "bytes") in V) {
		b = num(V[c, n, "bytes"]) / 1048576
		# (none when 99% was not reached or no CPU tick was sampled)
		if (num(V[c, n, "cpu"]) > 0 && num(V[c, n, "wall"]) > 0)
			V[c, n, "mibs_cpu"] = b / V[c, n, "cpu"]
		if (num(V[c, n, "wall"]) > 0)
			V[c, n, "mibs_wall"] = b / V[c, n, "wall"]
	}
	next
}

END {
	size = C["size_mib"]; nproc = C["nproc"]; asize = C["ksmd_default_size_mib"]
	maxmib = C["max_mib"]; readmib = C["read_mib"]; idle = C["idle_secs"]
	reps = C["repeat"]
	if (!ncase) {
		print "report: no run lines" > "/dev/stderr"
		exit 1
	}

	print "# Selective KSM benchmark"
	print ""
	printf "Workload: %s processes, %s MiB in total; every page identical across\n", nproc, size
	printf "the processes except %s%% unique per process (ksmd-default runs a, f: %s MiB).\n", C["unique_pct"], asize
	printf "Every case ran %s times, interleaved (a b c ... a b c ...), each run on a\n", reps
	print "fresh workload. Figures: median (min-max) over the runs. Wall time from the"
	printf "TSC (%s MHz; CLOCK_MONOTONIC resolution %s ns); CPU is ksmd's (a, b, i),\n", C["tsc_mhz"], C["monotonic_res_ns"]
	print "the calling thread's (c, d, g, h, r, z, p), or every CPU's busy time but the"
	printf "benchmark's own (e, f, s, u: the partition's scan work). THP: %s.\n", C["thp_enabled"]
	print ""

	if ("host_load_before" in C)
		printf "Host: %s CPUs, load average (1, 5, 15 min) %s before the run and %s after it (other work on this machine); %s.\n\n",
		       C["host_nproc"], C["host_load_before"], C["host_load_after"], C["qemu"]
	if ("kernel" in C)
		printf "Guest kernel: %s.\n\n", C["kernel"]
	print "| case | what | wall to 99% (s) | CPU to 99% (s) | pages_sharing / achievable | pages examined | MiB per CPU s | CPU in the " idle " s after (s) |"
	print "|---|---|---|---|---|---|---|---|"
	split("a b c d e f g h i j t u", M, " ")
	for (j = 1; j <= 12; j++) {
		c = M[j]
		if (!have(c))
			continue
		share = c == "d" ? "(no merging)" : sprintf("%d / %d", med(c, "merged"), med(c, "target"))
		printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", c, WHAT[c], fmt(c, "wall", "%.3f"),
		       fmt(c, "cpu", "%.3f"), share, fmt(c, "scanned", "%d"), fmt(c, "mibs_cpu", "%.0f"),
		       fmt(c, "idle_cpu", "%.2f")
	}
	if (have("k"))
		printf "| k | nothing running (baseline of the column on the right) | - | - | - | - | - | %s |\n", fmt("k", "idle_cpu", "%.2f")
	print ""
	if (med("c", "idle_read_cpu") != "")
		printf "After c, the whole system's busy CPU in the %s s after one read of the partition's counters (pages_sharing, pages_scanned, merge_calls): %s s.\n\n",
		       idle, fmt("c", "idle_read_cpu", "%.2f")
	if (have("g"))
		printf "Running guest (g): %s pages written during the merge (median), %s pages\nsharing at its end against %s for c.\n\n",
		       fmt("g", "touched", "%d"), fmt("g", "merged", "%d"), fmt("c", "merged", "%d")
	if (have("h") || have("i"))
		printf "THP (h, i): AnonHugePages before the merge %s kB (h), %s kB (i); after %s kB (h), %s kB (i).\n\n",
		       fmt("h", "thp_kb", "%d"), fmt("i", "thp_kb", "%d"), fmt("h", "thp_after_kb", "%d"), fmt("i", "thp_after_kb", "%d")
	if (have("j") || have("t"))
		printf "THP, 1/16 of each shared (j, t): AnonHugePages before the merge %s kB (j), %s kB (t); after %s kB (j), %s kB (t); pages_sharing %s (j), %s (t).\n\n",
		       fmt("j", "thp_kb", "%d"), fmt("t", "thp_kb", "%d"), fmt("j", "thp_after_kb", "%d"), fmt("t", "thp_after_kb", "%d"),
		       fmt("j", "merged", "%d"), fmt("t", "merged", "%d")
	if (have("u"))
		printf "THP, 1/16 of each shared, the partition's scan (u): AnonHugePages before %s kB, after its first full pass %s kB; %s us of CPU per page scanned.\n\n",
		       fmt("u", "thp_kb", "%d"), fmt("u", "thp_after_kb", "%d"), fmt("u", "us_per_page", "%.2f")

	zmax = 0
	for (j = 1; j <= ncase; j++)
		if (order[j] ~ /^z[0-9]+$/ && num(substr(order[j], 2)) > zmax)
			zmax = num(substr(order[j], 2))
	if (zmax) {
		print "Cost of the synchronous merge with the total size (1 partition, " nproc " processes):"
		print ""
		print "| MiB | pages scanned | merge calls | wall (s) | CPU (s) | CPU µs per page | pages_sharing / achievable |"
		print "|---|---|---|---|---|---|---|"
		for (j = 1; j <= ncase; j++) {
			c = order[j]
			if (c !~ /^z[0-9]+$/)
				continue
			printf "| %d | %d | %d | %s | %s | %s | %d / %d |\n", substr(c, 2), med(c, "scanned"), med(c, "calls"),
			       fmt(c, "wall", "%.3f"), fmt(c, "cpu", "%.3f"), fmt(c, "us_per_page", "%.2f"),
			       med(c, "merged"), med(c, "target")
		}
		print ""
	}
	nrd = 0
	for (j = 1; j <= ncase; j++)
		if (order[j] ~ /^z/ && med(order[j], "rd_knob") != "")
			nrd++
	if (nrd) {
		print "Latency of one read (pread at offset 0 of an open file, µs; median of up to 200"
		print "reads or 1 s per run) with that much merged in one partition:"
		print ""
		print "| MiB merged | /sys/kernel/mm/ksm/pages_sharing | partition's pages_sharing | /proc/PID/ksm_stat | a plain knob (sleep_millisecs) |"
		print "|---|---|---|---|---|"
		for (j = 1; j <= ncase; j++) {
			c = order[j]
			if (c !~ /^z/ || med(c, "rd_knob") == "")
				continue
			printf "| %s | %s | %s | %s | %s |\n", substr(c, 2), fmt(c, "rd_global", "%.1f"),
			       fmt(c, "rd_part", "%.1f"), fmt(c, "rd_stat", "%.1f"), fmt(c, "rd_knob", "%.1f")
		}
		print ""
	}
	if (have("r0") && have("r1")) {
		print "A " size " MiB synchronous merge without (r0) and with (r1) an unprivileged process"
		print "(uid nobody) reading the three counters above in a loop; r2: the same loop"
		print "reading a plain knob (the control: what a spinning reader costs by itself):"
		print ""
		print "| case | wall (s) | CPU (s) | reads per s |"
		print "|---|---|---|---|"
		printf "| r0 | %s | %s | - |\n", fmt("r0", "wall", "%.3f"), fmt("r0", "cpu", "%.3f")
		printf "| r1 | %s | %s | %s |\n", fmt("r1", "wall", "%.3f"), fmt("r1", "cpu", "%.3f"), fmt("r1", "reads_per_s", "%.0f")
		if (have("r2"))
			printf "| r2 | %s | %s | %s |\n", fmt("r2", "wall", "%.3f"), fmt("r2", "cpu", "%.3f"), fmt("r2", "reads_per_s", "%.0f")
		if (med("r1", "read_errors") > 0)
			printf "\nThe reader's reads failed %s times (median): check the partition's mode.\n", med("r1", "read_errors")
		print ""
	}
	if (have("p1")) {
		print "Cost with the number of partitions (" size " MiB in total, 4 processes per partition):"
		print ""
		print "| partitions | processes | wall (s) | CPU (s) | CPU µs per page | pages_sharing / achievable |"
		print "|---|---|---|---|---|---|"
		for (p = 1; ("p" p) in nrun; p *= 2) {
			c = "p" p
			printf "| %d | %d | %s | %s | %s | %d / %d |\n", p, med(c, "nproc"), fmt(c, "wall", "%.3f"),
			       fmt(c, "cpu", "%.3f"), fmt(c, "us_per_page", "%.2f"), med(c, "merged"), med(c, "target")
		}
		print ""
	}
	if (have("s64")) {
		print "The partition's background scan to its first full pass (" nproc " joined processes,"
		print "pages_to_scan 100, sleep_millisecs 0: its default batch, CPU-bound):"
		print ""
		print "| MiB | pages scanned | wall (s) | CPU (s) | CPU µs per page |"
		print "|---|---|---|---|---|"
		for (s = 64; ("s" s) in nrun; s *= 4) {
			c = "s" s
			printf "| %d | %d | %s | %s | %s |\n", s, med(c, "scanned"), fmt(c, "wall", "%.3f"),
			       fmt(c, "cpu", "%.3f"), fmt(c, "us_per_page", "%.2f")
		}
		print ""
	}

	print "Targets (issue 14), medians of this run; a ratio's spread combines the extremes:"
	print ""
	print "| target | limit | measured: median (min-max) | verdict |"
	print "|---|---|---|---|"
	target2("CPU of the synchronous merge (c) / CPU of ksmd at full speed (b), both to 99% of the achievable sharing",
		"c", "cpu", "b", "cpu", "<=", 0.5)
	target2("c's MiB per CPU second / the read-and-hash pass's (d)", "c", "mibs_cpu", "d", "mibs_cpu", ">=", 0.8)
	target2("CPU per page at " (zmax ? zmax : "?") " MiB / at 64 MiB" (zmax == 2048 ? "" : " (2048 MiB not run)"),
		"z" zmax, "us_per_page", "z64", "us_per_page", "<=", 1.2)
	target1("whole-system CPU in the " idle " s after c (s; baseline k: " fmt("k", "idle_cpu", "%.2f") ")",
		"c", "idle_cpu", "<=", 0.02, "%.2f")
	rc = "z" readmib
	target1("one read of /sys/kernel/mm/ksm/pages_sharing, " readmib " MiB merged (µs)", rc, "rd_global", "<=", 50, "%.1f")
	target1("one read of the partition's pages_sharing, " readmib " MiB merged (µs)", rc, "rd_part", "<=", 50, "%.1f")
	target1("one read of /proc/PID/ksm_stat, " readmib " MiB merged (µs)", rc, "rd_stat", "<=", 50, "%.1f")
	target2("wall of a " size " MiB merge with an unprivileged counter reader (r1) / without (r0)",
		"r1", "wall", "r0", "wall", "<=", 1.1)
	print ""
	print "Further checks of ours (same rules):"
	print ""
	print "| check | limit | measured: median (min-max) | verdict |"
	print "|---|---|---|---|"
	target2("wall of the merge with the counter reader (r1) / with the plain-knob reader (r2): the counters' own share",
		"r1", "wall", "r2", "wall", "<=", 1.1)
	target1("whole-system CPU in the " idle " s after one read of c's counters (s)", "c", "idle_read_cpu", "<=", 0.02, "%.2f")
	target2("THP: CPU of the synchronous merge (h) / ksmd at full speed (i)", "h", "cpu", "i", "cpu", "<=", 0.5)
	target2("THP-backed (h) / 4 KiB pages (c): CPU of the synchronous merge", "h", "cpu", "c", "cpu", "<=", 1.2)
	target2("running guest (g) / idle workload (c): CPU of the synchronous merge", "g", "cpu", "c", "cpu", "<=", 1.2)
	target2("CPU per page, 64 partitions / 1 partition", "p64", "us_per_page", "p1", "us_per_page", "<=", 1.2)
	target2("background scan: CPU per page, 1024 MiB / 64 MiB", "s1024", "us_per_page", "s64", "us_per_page", "<=", 1.2)
}
