// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksmctl metrics: the KSM state in the Prometheus text exposition format
 * (version 0.0.4), for a scrape by hand or for node_exporter's textfile
 * collector (--output FILE, replaced atomically).
 *
 * Every value comes from /sys/kernel/mm/ksm (through libksm): the global
 * settings and counters, and for each Selective KSM partition its counters
 * and background scan state, labelled partition="NAME". A kernel without
 * partitions gets the global series only. Names start with "ksm_" so that
 * they do not clash with node_exporter's own ksmd collector (node_ksmd_*).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "ksmctl.h"

static const char *const help_metrics =
	"Usage: ksmctl metrics [--output FILE]\n"
	"       ksmctl metrics help\n"
	"       the global KSM counters and settings and every partition's counters and\n"
	"       scan state in the Prometheus text format (one scrape)\n"
	"       --output FILE: write FILE atomically (a temporary file in the same\n"
	"       directory, renamed), mode 0644, for node_exporter's textfile collector\n";

struct out {
	FILE *f;
	int families, samples;
};

static void family(struct out *o, const char *name, const char *type, const char *help)
{
	fprintf(o->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	o->families++;
}

/* a label value: \, " and newline escaped (partition names never need it) */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"') {
			fputc('\\', f);
			fputc(*s, f);
		} else if (*s == '\n') {
			fputs("\\n", f);
		} else {
			fputc(*s, f);
		}
	}
}

static void sample_ll(struct out *o, const char *name, long long v)
{
	fprintf(o->f, "%s %lld\n", name, v);
	o->samples++;
}

/* ---------------------------------------------------------------- global */

/* one family per field of struct ksm_global_state; DIV: milliseconds -> seconds */
static const struct {
	size_t off;
	const char *name, *type, *help;
	int div;
} global_metrics[] = {
#define G(field, name, type, help, div) { offsetof(struct ksm_global_state, field), name, type, help, div }
	G(run, "ksm_run", "gauge", "ksmd's run setting: 0 stopped, 1 running, 2 stopped after unmerging the global domain", 1),
	G(pages_to_scan, "ksm_pages_to_scan", "gauge", "Pages ksmd scans per run", 1),
	G(sleep_millisecs, "ksm_sleep_seconds", "gauge", "Pause of ksmd between runs, in seconds", 1000),
	G(max_page_sharing, "ksm_max_page_sharing", "gauge", "Most mappings of one KSM page (global domain and partitions)", 1),
	G(merge_across_nodes, "ksm_merge_across_nodes", "gauge", "1 if pages of different NUMA nodes may merge", 1),
	G(use_zero_pages, "ksm_use_zero_pages", "gauge", "1 if empty pages merge with the kernel's zero page", 1),
	G(smart_scan, "ksm_smart_scan", "gauge", "1 if ksmd skips pages that did not merge before", 1),
	G(pages_shared, "ksm_pages_shared", "gauge", "KSM pages in use, global domain and partitions", 1),
	G(pages_sharing, "ksm_pages_sharing", "gauge", "Extra mappings of KSM pages (pages saved), global domain and partitions", 1),
	G(pages_unshared, "ksm_pages_unshared", "gauge", "Pages tracked for merging but unique so far", 1),
	G(pages_volatile, "ksm_pages_volatile", "gauge", "Pages changing too fast to be tracked", 1),
	G(pages_scanned, "ksm_pages_scanned_total", "counter", "Pages scanned by ksmd (partition merges count in ksm_partition_pages_scanned_total)", 1),
	G(pages_skipped, "ksm_pages_skipped_total", "counter", "Pages ksmd skipped by smart scan", 1),
	G(full_scans, "ksm_full_scans_total", "counter", "Full scans completed by ksmd", 1),
	G(stable_node_chains, "ksm_stable_node_chains", "gauge", "KSM pages that reached max_page_sharing and were chained", 1),
	G(stable_node_dups, "ksm_stable_node_dups", "gauge", "Duplicate KSM pages in chains", 1),
	G(ksm_zero_pages, "ksm_zero_pages", "gauge", "Empty pages merged with the kernel's zero page", 1),
#undef G
};

static void global_series(struct out *o, const struct ksm_global_state *g, long page_size)
{
	for (size_t i = 0; i < sizeof(global_metrics) / sizeof(global_metrics[0]); i++) {
		long long v = *(const long long *)((const char *)g + global_metrics[i].off);

		if (v == KSM_ABSENT)
			continue;	/* this kernel does not have it */
		family(o, global_metrics[i].name, global_metrics[i].type, global_metrics[i].help);
		if (global_metrics[i].div == 1) {
			sample_ll(o, global_metrics[i].name, v);
		} else {
			fprintf(o->f, "%s %.3f\n", global_metrics[i].name, (double)v / global_metrics[i].div);
			o->samples++;
		}
	}
	if (g->general_profit != LLONG_MIN) {
		family(o, "ksm_general_profit_bytes", "gauge",
		       "Memory saved by KSM minus its metadata, in bytes (the kernel's general_profit; may be negative)");
		sample_ll(o, "ksm_general_profit_bytes", g->general_profit);
	}
	family(o, "ksm_page_size_bytes", "gauge", "Size of a page, in bytes");
	sample_ll(o, "ksm_page_size_bytes", page_size);
}

/* ---------------------------------------------------------------- partitions */

/* how to print a field; the P_SCAN_* ones exist only with background scanning */
enum { P_U64, P_SAVED, P_SCAN_U32, P_SCAN_SECONDS, P_SCAN_U64 };

/* one family per partition field */
static const struct {
	size_t off;
	int kind;
	const char *name, *type, *help;
} partition_metrics[] = {
#define P(field, kind, name, type, help) { offsetof(struct ksm_partition_info, field), kind, name, type, help }
	P(members, P_U64, "ksm_partition_members", "gauge", "Processes in the partition"),
	P(pages_shared, P_U64, "ksm_partition_pages_shared", "gauge", "KSM pages of the partition"),
	P(pages_sharing, P_U64, "ksm_partition_pages_sharing", "gauge", "Extra mappings of the partition's KSM pages (pages saved)"),
	P(pages_unshared, P_U64, "ksm_partition_pages_unshared", "gauge", "Pages of the partition tracked for merging but unique so far"),
	P(pages_sharing, P_SAVED, "ksm_partition_saved_bytes", "gauge",
	  "Memory saved by merging in the partition, in bytes: pages_sharing times the page size (KSM metadata not subtracted)"),
	P(pages_scanned, P_U64, "ksm_partition_pages_scanned_total", "counter", "Pages examined by the partition's merges and background scan"),
	P(merge_calls, P_U64, "ksm_partition_merge_calls_total", "counter", "Merge calls completed in the partition"),
	P(run, P_SCAN_U32, "ksm_partition_scan_running", "gauge", "1 if the partition's background scan is on"),
	P(pages_to_scan, P_SCAN_U32, "ksm_partition_scan_pages_to_scan", "gauge", "Pages the partition's background scan examines per run"),
	P(sleep_millisecs, P_SCAN_SECONDS, "ksm_partition_scan_sleep_seconds", "gauge", "Pause of the partition's background scan between runs, in seconds"),
	P(full_scans, P_SCAN_U64, "ksm_partition_full_scans_total", "counter", "Passes of the partition's background scan over its joined members"),
#undef P
};

static void partition_labels(FILE *f, const struct ksm_partition_info *pi)
{
	fputs("{partition=\"", f);
	label_value(f, pi->name);
	fputs("\"}", f);
}

/*
 * Every partition's info, in name order; removed-while-reading ones skipped.
 * Returns 0, or 1 when the kernel has no partitions (ENOSYS), or -1.
 */
static int read_partitions(struct ksm_partition_info **out, int *n, struct err *e)
{
	_cleanup_names_ char **names = NULL;
	struct ksm_partition_info *v;
	int count = ksm_partition_list(&names);

	*n = 0;
	if (count < 0 && errno == ENOSYS)
		return 1;
	if (count < 0)
		return fail(e, 0, errno, "", "cannot list partitions");
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return fail(e, 0, ENOMEM, "", "cannot read %d partitions", count);
	for (int i = 0; i < count; i++) {
		if (ksm_partition_info(names[i], &v[*n]) < 0) {
			if (errno == ENOENT)
				continue;
			free(v);
			return fail(e, 0, errno, "", "cannot read partition '%s'", names[i]);
		}
		(*n)++;
	}
	*out = v;
	return 0;
}

static void partition_series(struct out *o, const struct ksm_partition_info *v, int n, long page_size)
{
	bool scan = false;

	family(o, "ksm_partitions", "gauge", "Selective KSM partitions");
	sample_ll(o, "ksm_partitions", n);
	if (!n)
		return;		/* no partition, no partition series */
	for (int i = 0; i < n; i++)
		scan |= v[i].pages_to_scan != 0;

	family(o, "ksm_partition_info", "gauge", "A partition's owner and permission bits (value 1)");
	for (int i = 0; i < n; i++) {
		fprintf(o->f, "ksm_partition_info{partition=\"");
		label_value(o->f, v[i].name);
		fprintf(o->f, "\",uid=\"%u\",gid=\"%u\",mode=\"%04o\"} 1\n", (unsigned)v[i].uid,
			(unsigned)v[i].gid, (unsigned)v[i].mode);
		o->samples++;
	}
	for (size_t m = 0; m < sizeof(partition_metrics) / sizeof(partition_metrics[0]); m++) {
		int kind = partition_metrics[m].kind;
		bool scan_only = kind >= P_SCAN_U32;

		if (scan_only && !scan)
			continue;	/* a kernel without background scanning */
		family(o, partition_metrics[m].name, partition_metrics[m].type, partition_metrics[m].help);
		for (int i = 0; i < n; i++) {
			const char *p = (const char *)&v[i] + partition_metrics[m].off;
			unsigned long long val = kind == P_SCAN_U32 || kind == P_SCAN_SECONDS ?
						 *(const uint32_t *)p : *(const uint64_t *)p;

			if (scan_only && !v[i].pages_to_scan)
				continue;
			fputs(partition_metrics[m].name, o->f);
			partition_labels(o->f, &v[i]);
			if (kind == P_SCAN_SECONDS)
				fprintf(o->f, " %.3f\n", val / 1000.0);
			else if (kind == P_SAVED)
				fprintf(o->f, " %llu\n", val * (unsigned long long)page_size);
			else
				fprintf(o->f, " %llu\n", val);
			o->samples++;
		}
	}
}

/* ---------------------------------------------------------------- output */

/*
 * Replace PATH by BUF atomically: a temporary ".NAME.XXXXXX" in the same
 * directory (node_exporter reads *.prom only), written, fsync'ed, renamed.
 * On any failure PATH is left as it was and the temporary file removed.
 */
static int write_atomic(const char *path, const char *buf, size_t len, struct err *e)
{
	_cleanup_free_ char *d = strdup(path), *b = strdup(path), *tmp = NULL;
	_cleanup_close_ int fd = -1;
	size_t done = 0;

	if (!d || !b)
		return fail(e, 0, ENOMEM, "", "cannot write '%s'", path);
	if (asprintf(&tmp, "%s/.%s.XXXXXX", dirname(d), basename(b)) < 0) {
		tmp = NULL;
		return fail(e, 0, ENOMEM, "", "cannot write '%s'", path);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return fail(e, 0, errno, errno == ENOENT ? "create the directory first" : perm_hint(errno),
			    "cannot create a temporary file next to '%s'", path);
	while (done < len) {
		ssize_t w = write(fd, buf + done, len - done);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto err;
		}
		done += w;
	}
	/* readable by node_exporter's user whatever the umask */
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0)
		goto err;
	if (close(fd) < 0) {
		fd = -1;
		goto err;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto err;
	return 0;
err:
	{
		int en = errno;

		unlink(tmp);
		return fail(e, 0, en, en == EISDIR ? "name a file, not a directory" : "", "cannot write '%s'", path);
	}
}

static int metrics_render(char **buf, size_t *len, struct out *o, struct err *e)
{
	_cleanup_free_ struct ksm_partition_info *v = NULL;
	struct ksm_global_state g;
	long page_size = sysconf(_SC_PAGESIZE);
	int n, r;

	/* read everything first: an error prints no half scrape */
	if (ksm_global_read(&g) < 0)
		return fail(e, 0, errno, "", "cannot read /sys/kernel/mm/ksm");
	r = read_partitions(&v, &n, e);
	if (r < 0)
		return -1;
	o->f = open_memstream(buf, len);
	if (!o->f)
		return fail(e, 0, errno, "", "cannot allocate the metrics");
	global_series(o, &g, page_size);
	family(o, "ksm_partitions_supported", "gauge", "1 if the running kernel has Selective KSM partitions");
	sample_ll(o, "ksm_partitions_supported", r == 0);
	if (r == 0)
		partition_series(o, v, n, page_size);
	if (fclose(o->f) != 0)
		return fail(e, 0, errno, "", "cannot write the metrics");
	return 0;
}

int do_metrics(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{}
	};
	_cleanup_free_ char *buf = NULL;
	const char *output = NULL;
	struct out o = { 0 };
	size_t len = 0;
	int c, bad = 0;

	if (argc == 2 && is_help(argv[1]))
		return print_help(help_metrics);
	optind = 0;
	while ((c = next_opt(argc, argv, opts, e, &bad)) != -1)
		if (c == 'o')
			output = optarg;
	if (bad)
		return -1;
	if (optind != argc)
		return usage_fail(e, "unexpected argument '%s'", argv[optind]);
	if (output && !*output)
		return usage_fail(e, "--output needs a file name");
	if (json_out && !output)
		return fail(e, EX_USAGE, EINVAL, "use 'ksmctl -j status' for JSON, or -j with --output FILE",
			    "metrics prints the Prometheus text format, not JSON");
	if (need_ksm(e) < 0 || metrics_render(&buf, &len, &o, e) < 0)
		return -1;
	if (output) {
		if (write_atomic(output, buf, len, e) < 0)
			return -1;
	} else if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
		return fail(e, 0, errno, "", "cannot write the metrics to stdout");
	}
	if (json_out) {
		jw_obj_open(jw);
		jw_kstr(jw, "output", output);
		jw_kint(jw, "families", o.families);
		jw_kint(jw, "samples", o.samples);
		jw_kuint(jw, "bytes", len);
		jw_obj_close(jw);
	}
	return 0;
}
