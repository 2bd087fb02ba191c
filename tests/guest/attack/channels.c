// SPDX-License-Identifier: GPL-2.0
/*
 * channels: which files tell an unprivileged user about another tenant's
 * merging? The policy of doc/security.md, one row per file, checked as
 * uid 1000 (the attacker, no supplementary groups, no capabilities) while
 * uid 1001 (the victim) merges pages in its own partition (owner 1001,
 * mode 0600):
 *
 *   owner   a partition's counters: readable by whoever has read or write
 *           permission by the partition's owner, group and mode bits (who
 *           may open it, to merge, may see its counters), and by
 *           CAP_SYS_ADMIN (granted: so those of a 0644 partition are
 *           readable by the attacker); another process's
 *           ksm_stat, ksm_merging_pages, smaps, smaps_rollup, pagemap; the
 *           kernel's kpageflags/kpagecount: denied to the attacker
 *   public  a partition's settings (mode, uid, gid, run, pages_to_scan,
 *           sleep_millisecs) and the list of names: readable by all, do
 *           not change when the partition merges
 *   global  ksmd's counters in /sys/kernel/mm/ksm: readable by all (the
 *           upstream ABI), count the global domain only, so they do not
 *           move when a partition merges
 *   self    the attacker's own /proc/self/ksm_stat, smaps and the cow_ksm
 *           event count do not count its pages that equal the victim's
 *   meminfo /proc/meminfo has no KSM field (free memory itself is the
 *           residual channel of doc/security.md; its change is printed)
 *
 * A row the running kernel breaks fails ("not ok N"), with the change
 * needed and the evidence (what the attacker read before and after the
 * victim merged). The victim's
 * merging is proven by PFNs (root, pagemap) and its partition's counter,
 * so that an unchanged file means something.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ksm.h"
#include "ksft.h"
#include "ksm_test_util.h"

#define ATK_UID 1000
#define VIC_UID 1001
#define M 512		/* victim's pairs of identical pages */
#define PSZ 4096UL
#define VICP "chan-victim"
#define ATKP "chan-attacker"
#define PUBP "chan-public"	/* root's, mode 0644: its counters are for everybody */

enum policy { OWNER, GRANTED, PUBLIC, GLOBAL };

struct row {
	enum policy pol;
	char path[128];
	const char *fix;	/* the kernel change when the row fails */
	/* what the attacker saw before (0) and after (1) the victim merged */
	int err[2];
	char val[2][96];
};

#define FIX_PART "kernel: partition counter files must be readable only with read or write permission by the partition's uid/gid/mode (or CAP_SYS_ADMIN), not 0444"
#define FIX_GLOBAL "kernel: the global counters in /sys/kernel/mm/ksm must count ksmd's global domain only (today they add every partition's, doc/interface.md); a root-only total may replace them"
#define FIX_PROC "kernel: /proc/PID files of another user must need PTRACE_MODE_READ"
#define FIX_NONE "policy: readable by all, static"

static struct row *rows;
static int nrows;

static void add(enum policy pol, const char *fix, const char *fmt, ...)
{
	va_list ap;
	struct row *r = &rows[nrows++];

	r->pol = pol;
	r->fix = fix;
	va_start(ap, fmt);
	vsnprintf(r->path, sizeof(r->path), fmt, ap);
	va_end(ap);
}

static void drop_to(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		_exit(2);
	/* as a process the user started: its /proc files are the user's */
	prctl(PR_SET_DUMPABLE, 1);
}

/* Read a file as the caller: content (first line, or a field) or errno. */
static void snap(struct row *r, int i)
{
	char buf[8192];
	int fd = open(r->path, O_RDONLY);
	ssize_t n;

	r->err[i] = 0;
	r->val[i][0] = '\0';
	if (fd < 0) {
		r->err[i] = errno;
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		r->err[i] = errno;
	close(fd);
	if (n < 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	buf[sizeof(r->val[i]) - 1] = '\0';
	memcpy(r->val[i], buf, sizeof(r->val[i]));
}

/* One field of a "Name: value" or "name value" file, as the caller. */
static long field(const char *path, const char *name)
{
	char line[256];
	size_t len = strlen(name);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && (line[len] == ':' || line[len] == ' ')) {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

struct tenant {
	pid_t pid;
	int cmd, res;
	unsigned char *mem;
};

static void fill(void *p, uint64_t seed)
{
	uint64_t *q = p;

	for (unsigned long i = 0; i < PSZ / 8; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		q[i] = seed ^ (seed >> 29);
	}
}

/* Shared with the tenants (MAP_SHARED: never merged). */
struct shared {
	long val[8];
	int err;
} *sh;

/*
 * A tenant: creates its partition (mode 0600, owned by itself), joins it,
 * fills its pages (victim: M pairs and M unique; attacker: one copy of each
 * of the victim's M values), then obeys: 'm' merge itself, 's' snapshot
 * every row (attacker), 'w' write its pages and count cow_ksm (attacker),
 * 'o' read its own partition's pages_sharing (victim), 'x' exit.
 */
static void tenant(bool attacker, int cmd, int res)
{
	unsigned long n = attacker ? M : 3 * M;
	unsigned char *mem;
	char c = 0;
	int fd;

	drop_to(attacker ? ATK_UID : VIC_UID);
	umask(077);
	fd = ksm_open(attacker ? ATKP : VICP, KSM_CREAT | KSM_EXCL, 0600);
	if (fd < 0 || ksm_join(fd)) {
		sh->err = errno;
		goto out;
	}
	mem = mmap(NULL, n * PSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		sh->err = errno;
		goto out;
	}
	madvise(mem, n * PSZ, MADV_NOHUGEPAGE);
	for (unsigned long i = 0; i < M; i++) {
		fill(mem + i * PSZ, 1000 + i);
		if (!attacker) {
			fill(mem + (M + i) * PSZ, 1000 + i);
			fill(mem + (2 * M + i) * PSZ, 900000 + i);
		}
	}
	sh->val[0] = (long)mem;
	if (write(res, &c, 1) != 1)
		_exit(3);
	while (read(cmd, &c, 1) == 1) {
		switch (c) {
		case 'm':
			/*
			 * Its pages of values only: two zero-filled pages of its
			 * heap or stack would merge in its own partition, which
			 * is no channel (seen on the debug kernel).
			 */
			sh->val[0] = ksm_merge(fd, 0, (unsigned long)mem, n * PSZ);
			sh->err = errno;
			break;
		case 's':
			for (int i = 0; i < 64 && rows[i].path[0]; i++)
				snap(&rows[i], sh->val[1]);
			break;
		case 'w': {
			long before = field("/proc/vmstat", "cow_ksm");

			sh->val[2] = field("/proc/self/ksm_stat", "ksm_merging_pages");
			sh->val[3] = field("/proc/self/smaps_rollup", "KSM");
			for (unsigned long i = 0; i < M; i++)
				mem[i * PSZ] ^= 1;
			sh->val[4] = field("/proc/vmstat", "cow_ksm") - before;
			break;
		}
		case 'o':
			{
				char b[64];

				sh->val[5] = sysfs_read_str("/sys/kernel/mm/ksm/partition/" VICP "/pages_sharing",
							    b, sizeof(b)) ? -errno : strtol(b, NULL, 10);
			}
			break;
		default:
			goto out;
		}
		if (write(res, &c, 1) != 1)
			_exit(3);
	}
out:
	c = 'E';
	if (write(res, &c, 1) != 1)
		_exit(3);
	_exit(0);
}

static struct tenant spawn(bool attacker)
{
	struct tenant t;
	int cp[2], rp[2];
	char c;

	if (pipe(cp) || pipe(rp))
		ksft_exit_skip("pipe");
	sh->err = 0;
	t.pid = fork();
	if (t.pid == 0) {
		close(cp[1]);
		close(rp[0]);
		tenant(attacker, cp[0], rp[1]);
	}
	close(cp[0]);
	close(rp[1]);
	t.cmd = cp[1];
	t.res = rp[0];
	if (read(t.res, &c, 1) != 1 || c == 'E') {
		printf("# %s set-up failed: %s\n", attacker ? "attacker" : "victim", strerror(sh->err));
		exit(KSFT_FAIL);
	}
	t.mem = (unsigned char *)sh->val[0];
	return t;
}

static void ask(struct tenant *t, char c)
{
	if (write(t->cmd, &c, 1) != 1 || read(t->res, &c, 1) != 1 || c == 'E') {
		printf("# tenant %d failed command\n", t->pid);
		exit(KSFT_FAIL);
	}
}

static void reap(struct tenant *t)
{
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	close(t->cmd);
	close(t->res);
}

static const char *const part_counters[] = {
	"pages_shared", "pages_sharing", "pages_unshared", "pages_scanned", "merge_calls",
	"members", "full_scans", NULL,
};
static const char *const part_settings[] = {
	"mode", "uid", "gid", "run", "pages_to_scan", "sleep_millisecs", NULL,
};
static const char *const global_counters[] = {
	"pages_shared", "pages_sharing", "pages_unshared", "pages_volatile", "general_profit",
	"stable_node_chains", "stable_node_dups", "ksm_zero_pages", "pages_scanned", "pages_skipped",
	"full_scans", NULL,
};

int main(void)
{
	unsigned long same = 0, pv[2 * M];
	struct tenant vic, atk;
	long memfree[2];
	struct ksm_knobs saved;
	static const char *const knobs[] = { "run", NULL };
	DIR *d;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!(ksm_features() & KSM_FEAT_PARTITION_JOIN))
		ksft_exit_skip("no Selective KSM partition membership in this kernel");
	if (getuid() != 0)
		ksft_exit_skip("needs root (to set the tenants' uids and read PFNs)");
	rows = mmap(NULL, 64 * sizeof(*rows), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rows == MAP_FAILED || sh == MAP_FAILED)
		ksft_exit_skip("mmap");
	ksm_unlink(VICP);
	ksm_unlink(ATKP);
	ksm_unlink(PUBP);
	umask(0);
	i = ksm_open(PUBP, KSM_CREAT | KSM_EXCL, 0644);
	if (i < 0)
		ksft_exit_skip("ksm_open(" PUBP ", O_CREAT, 0644)");
	close(i);
	ksm_knobs_save(&saved, knobs);
	ksm_write_ulong("run", 0); /* nothing but the victim merges */

	vic = spawn(false);
	atk = spawn(true);
	for (i = 0; part_counters[i]; i++)
		add(OWNER, FIX_PART, KSM_SYSFS "/partition/" VICP "/%s", part_counters[i]);
	for (i = 0; part_settings[i]; i++)
		add(PUBLIC, FIX_NONE, KSM_SYSFS "/partition/" VICP "/%s", part_settings[i]);
	for (i = 0; global_counters[i]; i++)
		add(GLOBAL, FIX_GLOBAL, KSM_SYSFS "/%s", global_counters[i]);
	add(OWNER, FIX_PROC, "/proc/%d/ksm_stat", vic.pid);
	add(OWNER, FIX_PROC, "/proc/%d/ksm_merging_pages", vic.pid);
	add(OWNER, FIX_PROC, "/proc/%d/smaps", vic.pid);
	add(OWNER, FIX_PROC, "/proc/%d/smaps_rollup", vic.pid);
	add(OWNER, FIX_PROC, "/proc/%d/pagemap", vic.pid);
	add(OWNER, "kernel: /proc/kpageflags must stay root-only (KPF_KSM)", "/proc/kpageflags");
	add(OWNER, "kernel: /proc/kpagecount must stay root-only", "/proc/kpagecount");
	add(GRANTED, NULL, KSM_SYSFS "/partition/" PUBP "/pages_sharing");
	add(GRANTED, NULL, KSM_SYSFS "/partition/" PUBP "/members");

	/* 8 more: merge proof 2, names, ksm_open, meminfo, the attacker's own view 3 */
	ksft_plan(nrows + 8);

	sh->val[1] = 0;
	ask(&atk, 's');
	memfree[0] = field("/proc/meminfo", "MemFree");
	ask(&atk, 'm'); /* the attacker merges its copies in its own partition: nothing to share there */
	ask(&vic, 'm');
	sh->val[1] = 1;
	ask(&atk, 's');
	memfree[1] = field("/proc/meminfo", "MemFree");

	/* The victim's pages did merge, in its partition. */
	for (i = 0; i < 2 * M; i++)
		pv[i] = pid_pfn(vic.pid, vic.mem + i * PSZ);
	for (i = 0; i < M; i++)
		same += pv[i] && pv[i] == pv[M + i];
	ksft_ok(same == M, "victim: its %d pairs merged in its partition (%lu on one frame, PFNs)", M, same);
	ask(&vic, 'o');
	ksft_ok(sh->val[5] >= M, "victim (owner, mode 0600) reads its own partition's pages_sharing: %ld >= %d",
		sh->val[5], M);

	for (i = 0; i < nrows; i++) {
		struct row *r = &rows[i];
		bool readable = !r->err[0] && !r->err[1];
		bool moved = readable && strcmp(r->val[0], r->val[1]);
		const char *pol = r->pol == OWNER ? "denied to another user" :
				  r->pol == PUBLIC ? "readable, static" : "global domain only";

		if (r->pol == OWNER) {
			if (!readable && (r->err[0] == EACCES || r->err[0] == EPERM) && r->err[0] == r->err[1])
				ksft_ok(1, "%s: %s (%s)", r->path, pol, strerror(r->err[0]));
			else if (readable)
				ksft_ok(0, "%s: readable by uid %d (%s -> %s while uid %d's partition merged); %s",
					  r->path, ATK_UID, r->val[0], r->val[1], VIC_UID, r->fix);
			else
				ksft_ok(0, "%s: %s: unexpected %s / %s", r->path, pol,
					strerror(r->err[0]), strerror(r->err[1]));
		} else if (r->pol == GRANTED) {
			ksft_ok(readable, "%s: mode 0644 grants read to uid %d (%s)", r->path, ATK_UID,
				readable ? r->val[1] : strerror(r->err[0]));
		} else if (r->pol == PUBLIC) {
			ksft_ok(readable && !moved, "%s: %s (%s)", r->path, pol,
				readable ? r->val[1] : strerror(r->err[0]));
		} else {
			if (readable && !moved)
				ksft_ok(1, "%s: %s (%s, unchanged while uid %d's partition merged %d pages)",
					r->path, pol, r->val[1], VIC_UID, M);
			else if (moved)
				ksft_ok(0, "%s: moved %s -> %s while uid %d's partition merged %d pages; %s",
					  r->path, r->val[0], r->val[1], VIC_UID, M, r->fix);
			else
				ksft_ok(0, "%s: %s: not readable (%s)", r->path, pol, strerror(r->err[0]));
		}
	}

	/* The partition names: public, like the names in /dev/shm. */
	d = opendir(KSM_SYSFS "/partition");
	ksft_ok(d != NULL, "partition names listable by all (names are not secret: doc/security.md)");
	if (d)
		closedir(d);
	/* Opening the victim's partition to merge in it: denied. */
	if (fork() == 0) {
		drop_to(ATK_UID);
		_exit(ksm_open(VICP, 0, 0) < 0 && errno == EACCES ? 0 : 1);
	}
	wait(&i);
	ksft_ok(WIFEXITED(i) && WEXITSTATUS(i) == 0, "ksm_open of the victim's partition (0600) by uid %d: EACCES",
		ATK_UID);
	/* meminfo: no KSM field; the change of MemFree is the residual channel. */
	{
		char line[256];
		bool ksm = false;
		FILE *f = fopen("/proc/meminfo", "r");

		while (f && fgets(line, sizeof(line), f))
			ksm |= strcasestr(line, "ksm") != NULL;
		if (f)
			fclose(f);
		ksft_ok(f && !ksm, "/proc/meminfo: no KSM field (MemFree moved %+ld kB while %d pages merged: "
			"the residual channel of doc/security.md)", memfree[1] - memfree[0], M);
	}
	/* The attacker's own view of its pages equal to the victim's. */
	ask(&atk, 'w');
	ksft_ok(sh->val[2] == 0, "attacker's own ksm_merging_pages: %ld (its copies of the victim's values merged with nothing)",
		sh->val[2]);
	ksft_ok(sh->val[3] == 0, "attacker's own smaps_rollup KSM: %ld kB", sh->val[3]);
	ksft_ok(sh->val[4] == 0, "/proc/vmstat cow_ksm: %+ld when the attacker writes its %d copies of the victim's values",
		sh->val[4], M);
	reap(&atk);
	reap(&vic);
	ksm_unlink(VICP);
	ksm_unlink(ATKP);
	ksm_unlink(PUBP);
	ksm_knobs_restore(&saved);
	ksft_exit();
}
