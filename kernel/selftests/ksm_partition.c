// SPDX-License-Identifier: GPL-2.0-only
/*
 * Selective KSM: tests for KSM partitions.
 *
 * A KSM partition is a named merge domain. Memory of a process is merged
 * into it synchronously, through sysfs (trigger_merge) or the ksm_merge()
 * system call, without madvise(), prctl() or ksmd. See
 * Documentation/admin-guide/mm/ksm.rst.
 *
 * The test uses helper child processes: each one maps and fills memory,
 * reports the addresses through a pipe and then executes simple commands
 * (fill, check, write, ...) while the test merges its memory and checks the
 * result through /proc/PID/pagemap, the partition and global counters and
 * /proc/PID/ksm_stat. It needs root (PFNs in pagemap, sysfs controls).
 *
 * Options: -b MIB  memory per process of the 4-process merge (default 16;
 *                  -b 256 merges 1 GiB in 4 calls: no soft lockup allowed)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <dirent.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "../kselftest.h"
#include "vm_util.h"

#ifndef __NR_ksm_open
#define __NR_ksm_open		463
#endif
#ifndef __NR_ksm_merge
#define __NR_ksm_merge		464
#endif
#ifndef __NR_ksm_unmerge
#define __NR_ksm_unmerge	465
#endif
#ifndef __NR_ksm_unlink
#define __NR_ksm_unlink		466
#endif

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE	67
#endif
#ifndef MADV_MERGEABLE
#define MADV_MERGEABLE		12
#endif

#define KSM_DIR		"/sys/kernel/mm/ksm"
#define PART_DIR	KSM_DIR "/partition"
#define CTRL_DIR	KSM_DIR "/control"
#define THP_DIR		"/sys/kernel/mm/transparent_hugepage"
#define PREFIX		"ksft_"

#define NOBODY		65534
#define NR_ADDR		4
#define EXEC_CHILD	"--exec-child"
#define MAX_CHILDREN	64

/* Page contents: a key per page; key 0 is a page of zeroes. */
#define KEY(test, n)	(((unsigned long)(test) << 40) | ((unsigned long)(n) << 24))
#define GOLDEN		0x9e3779b97f4a7c15UL

static size_t pagesize;
static unsigned long zero_pfn = -1UL;
static unsigned long big_mib = 16;
static int kmsg_fd = -1;

/* ------------------------------------------------------------ syscalls */

static int sys_ksm_open(const char *name, int flags, mode_t mode)
{
	return syscall(__NR_ksm_open, name, flags, mode);
}

static long sys_ksm_merge(int fd, pid_t pid, unsigned long addr, size_t size)
{
	return syscall(__NR_ksm_merge, fd, pid, addr, size);
}

static long sys_ksm_unmerge(int fd, pid_t pid, unsigned long addr, size_t size)
{
	return syscall(__NR_ksm_unmerge, fd, pid, addr, size);
}

static int sys_ksm_unlink(const char *name)
{
	return syscall(__NR_ksm_unlink, name);
}

/*
 * True if a call returned -1 with errno @err; @ret and errno are evaluated
 * before the call, so errno is the one the call set.
 */
static bool expect_err(long ret, int err, const char *what)
{
	int e = errno;

	if (ret == -1 && e == err)
		return true;
	if (ret == -1)
		ksft_print_msg("%s: expected %s, got %s\n", what,
			       strerror(err), strerror(e));
	else
		ksft_print_msg("%s: expected %s, got %ld\n", what,
			       strerror(err), ret);
	return false;
}

static bool expect_ret(long ret, long want, const char *what)
{
	int e = errno;

	if (ret == want)
		return true;
	if (ret == -1)
		ksft_print_msg("%s: expected %ld, got -1 (%s)\n", what, want,
			       strerror(e));
	else
		ksft_print_msg("%s: expected %ld, got %ld\n", what, want, ret);
	return false;
}

/* ------------------------------------------------------------ files */

static int write_file(const char *path, const char *buf)
{
	ssize_t ret;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	ret = write(fd, buf, strlen(buf));
	if (ret < 0)
		ret = -errno;
	else if ((size_t)ret != strlen(buf))
		ret = -EIO;
	else
		ret = 0;
	close(fd);
	return ret;
}

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t ret;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ret = read(fd, buf, len - 1);
	close(fd);
	if (ret < 0)
		return -errno;
	buf[ret] = '\0';
	return 0;
}

static long read_num(const char *path, int base)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, base);
}

static long ksm_get(const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), KSM_DIR "/%s", file);
	return read_num(path, 10);
}

static int ksm_set(const char *file, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), KSM_DIR "/%s", file);
	return write_file(path, val);
}

/* ------------------------------------------------------------ partitions */

static int part_add(const char *name)
{
	return write_file(CTRL_DIR "/add_partition", name);
}

static int part_remove(const char *name)
{
	return write_file(CTRL_DIR "/remove_partition", name);
}

static bool part_exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PART_DIR "/%s", name);
	return access(path, F_OK) == 0;
}

/* "PID START END", or "PID" alone when start == end == 0 */
static int part_trigger(const char *name, const char *file, pid_t pid,
			unsigned long start, unsigned long end)
{
	char path[PATH_MAX], buf[128];

	snprintf(path, sizeof(path), PART_DIR "/%s/%s", name, file);
	if (!start && !end)
		snprintf(buf, sizeof(buf), "%d\n", pid);
	else
		snprintf(buf, sizeof(buf), "%d 0x%lx 0x%lx\n", pid, start, end);
	return write_file(path, buf);
}

static long part_get(const char *name, const char *counter)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PART_DIR "/%s/%s", name, counter);
	return read_num(path, strcmp(counter, "mode") ? 10 : 8);
}

static bool expect_part(const char *name, const char *counter, long want)
{
	long val = part_get(name, counter);

	if (val == want)
		return true;
	ksft_print_msg("partition %s: %s is %ld, expected %ld\n", name,
		       counter, val, want);
	return false;
}

/* pages_shared, pages_sharing and members of a partition */
static bool expect_part3(const char *name, long shared, long sharing,
			 long members)
{
	bool ok = expect_part(name, "pages_shared", shared);

	ok &= expect_part(name, "pages_sharing", sharing);
	ok &= expect_part(name, "members", members);
	return ok;
}

/* Remove every partition this test may have left behind. */
static void remove_test_partitions(void)
{
	struct dirent *d;
	DIR *dir;

	dir = opendir(PART_DIR);
	if (!dir)
		return;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, PREFIX, strlen(PREFIX)))
			part_remove(d->d_name);
	closedir(dir);
}

static long proc_stat(pid_t pid, const char *field)
{
	char path[64], buf[1024], *p;
	size_t len = strlen(field);

	snprintf(path, sizeof(path), "/proc/%d/ksm_stat", pid);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, field, len) && p[len] == ' ')
			return strtol(p + len + 1, NULL, 10);
	return -1;
}

static long proc_merging_pages(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ksm_merging_pages", pid);
	return read_num(path, 10);
}

static bool expect_merging(pid_t pid, long want)
{
	long stat = proc_stat(pid, "ksm_merging_pages");
	long file = proc_merging_pages(pid);

	if (stat == want && file == want)
		return true;
	ksft_print_msg("pid %d: ksm_merging_pages %ld (ksm_stat) %ld (file), expected %ld\n",
		       pid, stat, file, want);
	return false;
}

/* ------------------------------------------------------------ page contents */

static unsigned long key_of(unsigned long base, size_t i)
{
	return base ? base + i : 0;
}

static void fill_page(char *p, unsigned long key)
{
	unsigned long *w = (unsigned long *)p;
	size_t i;

	if (!key) {
		memset(p, 0, pagesize);
		return;
	}
	w[0] = key;
	for (i = 1; i < pagesize / sizeof(*w); i++)
		w[i] = key * GOLDEN + i;
}

static bool page_is(const char *p, unsigned long key)
{
	const unsigned long *w = (const unsigned long *)p;
	size_t i;

	if (!key) {
		for (i = 0; i < pagesize / sizeof(*w); i++)
			if (w[i])
				return false;
		return true;
	}
	if (w[0] != key)
		return false;
	for (i = 1; i < pagesize / sizeof(*w); i++)
		if (w[i] != key * GOLDEN + i)
			return false;
	return true;
}

/* ------------------------------------------------------------ helper children */

enum {
	CMD_FILL,		/* a: addr, b: pages, c: key base */
	CMD_CHECK,		/* a: addr, b: pages, c: key base -> mismatches */
	CMD_WRITE,		/* *(long *)a = b */
	CMD_READ,		/* -> *(long *)a */
	CMD_MADVISE,		/* madvise(a, b, c) */
	CMD_PRCTL_MERGE,	/* prctl(PR_SET_MEMORY_MERGE, 1) */
	CMD_MPROTECT,		/* mprotect(a, b, c) */
	CMD_IS_HUGE,		/* check_huge_anon(a, b, c) */
	CMD_MERGE_SELF,		/* ksm_merge(a, 0, b, c) */
	CMD_RACE,		/* write loop, see child_race() */
	CMD_FORK,		/* fork a sleeping child, -> its pid */
	CMD_EXEC,		/* execve(EXEC_CHILD), a: pages, b: key */
	CMD_MUNMAP,		/* munmap(a, b) */
	CMD_MREMAP,		/* mremap(a, b, b + 1 page, MAYMOVE) -> new */
	CMD_EXIT,
};

struct cmd {
	int op;
	unsigned long a, b, c, d;
};

struct child {
	pid_t pid;
	int cmd_fd;
	int resp_fd;
	int pagemap_fd;
	unsigned long addr[NR_ADDR];
};

typedef int (*setup_fn)(unsigned long *addr, void *arg);

static pid_t child_pids[MAX_CHILDREN];

static void register_pid(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (!child_pids[i]) {
			child_pids[i] = pid;
			return;
		}
}

static void unregister_pid(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (child_pids[i] == pid)
			child_pids[i] = 0;
}

static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t ret;

	while (done < len) {
		ret = read(fd, (char *)buf + done, len - done);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			return done ? (ssize_t)done : ret;
		done += ret;
	}
	return done;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Write loop racing with merges: every page of [a, a + b pages) toggles
 * word 0 between its original value (identical to the partner's page) and
 * another one, for d milliseconds; before each write, the page must still
 * hold what this process wrote last. Returns the number of lost writes.
 */
static long child_race(unsigned long a, size_t npages, unsigned long key,
		       unsigned long ms)
{
	unsigned long *expect, iter = 0;
	double end = now() + ms / 1000.0;
	long lost = 0;
	size_t i;

	expect = calloc(npages, sizeof(*expect));
	if (!expect)
		return -ENOMEM;
	for (i = 0; i < npages; i++)
		expect[i] = key_of(key, i);
	while (now() < end) {
		for (i = 0; i < npages; i++) {
			volatile unsigned long *w;

			w = (volatile unsigned long *)(a + i * pagesize);
			if (*w != expect[i])
				lost++;
			if (expect[i] == key_of(key, i))
				expect[i] = ~key_of(key, i) - iter;
			else
				expect[i] = key_of(key, i);
			*w = expect[i];
		}
		iter++;
	}
	/* leave every page with its original content */
	for (i = 0; i < npages; i++) {
		volatile unsigned long *w;

		w = (volatile unsigned long *)(a + i * pagesize);
		if (*w != expect[i])
			lost++;
		*w = key_of(key, i);
	}
	free(expect);
	return lost;
}

static int exec_resp_fd = -1;

/*
 * Re-execute this program as "ksm_partition --exec-child FD PAGES KEY": a
 * new address space that maps and fills PAGES pages, writes their address
 * to FD and sleeps. Returns only on failure.
 */
static long child_exec(unsigned long npages, unsigned long key)
{
	char fd[16], np[32], k[32];

	snprintf(fd, sizeof(fd), "%d", exec_resp_fd);
	snprintf(np, sizeof(np), "%lu", npages);
	snprintf(k, sizeof(k), "%lu", key);
	fcntl(exec_resp_fd, F_SETFD, 0);
	execl("/proc/self/exe", "ksm_partition", EXEC_CHILD, fd, np, k,
	      (char *)NULL);
	return -errno;
}

static int exec_child_main(char **argv)
{
	int fd = atoi(argv[2]);
	size_t npages = strtoul(argv[3], NULL, 0), i;
	unsigned long key = strtoul(argv[4], NULL, 0), addr;
	char *p;

	pagesize = getpagesize();
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	p = mmap(NULL, npages * pagesize, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (i = 0; i < npages; i++)
		fill_page(p + i * pagesize, key_of(key, i));
	addr = (unsigned long)p;
	if (write(fd, &addr, sizeof(addr)) != sizeof(addr))
		return 1;
	for (;;)
		pause();
}

static long child_do(struct cmd *cmd)
{
	size_t i;
	long ret;
	pid_t pid;

	switch (cmd->op) {
	case CMD_FILL:
		for (i = 0; i < cmd->b; i++)
			fill_page((char *)cmd->a + i * pagesize, key_of(cmd->c, i));
		return 0;
	case CMD_CHECK:
		ret = 0;
		for (i = 0; i < cmd->b; i++)
			if (!page_is((char *)cmd->a + i * pagesize, key_of(cmd->c, i)))
				ret++;
		return ret;
	case CMD_WRITE:
		*(volatile unsigned long *)cmd->a = cmd->b;
		return 0;
	case CMD_READ:
		return *(volatile long *)cmd->a;
	case CMD_MADVISE:
		return madvise((void *)cmd->a, cmd->b, cmd->c) ? -errno : 0;
	case CMD_PRCTL_MERGE:
		return prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0) ? -errno : 0;
	case CMD_MPROTECT:
		return mprotect((void *)cmd->a, cmd->b, cmd->c) ? -errno : 0;
	case CMD_IS_HUGE:
		return check_huge_anon((void *)cmd->a, cmd->b, cmd->c);
	case CMD_MERGE_SELF:
		ret = sys_ksm_merge(cmd->a, 0, cmd->b, cmd->c);
		return ret < 0 ? -errno : ret;
	case CMD_RACE:
		return child_race(cmd->a, cmd->b, cmd->c, cmd->d);
	case CMD_FORK:
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (;;)
				pause();
		}
		return pid < 0 ? -errno : pid;
	case CMD_EXEC:
		return child_exec(cmd->a, cmd->b);
	case CMD_MUNMAP:
		return munmap((void *)cmd->a, cmd->b) ? -errno : 0;
	case CMD_MREMAP: {
		void *p = mremap((void *)cmd->a, cmd->b, cmd->b + pagesize,
				 MREMAP_MAYMOVE);

		return p == MAP_FAILED ? -errno : (long)p;
	}
	case CMD_EXIT:
		return 0;
	}
	return -EINVAL;
}

static void __noreturn
child_main(pid_t parent, int cmd_fd, int resp_fd, setup_fn setup, void *arg)
{
	unsigned long addr[NR_ADDR] = { 0 };
	struct cmd cmd;
	long ret;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	exec_resp_fd = resp_fd;
	if (setup(addr, arg))
		addr[0] = 0;
	if (write(resp_fd, addr, sizeof(addr)) != sizeof(addr))
		_exit(1);
	while (read_full(cmd_fd, &cmd, sizeof(cmd)) == sizeof(cmd)) {
		ret = child_do(&cmd);
		if (write(resp_fd, &ret, sizeof(ret)) != sizeof(ret))
			break;
		if (cmd.op == CMD_EXIT)
			break;
	}
	_exit(0);
}

static void child_stop(struct child *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	unregister_pid(c->pid);
	close(c->cmd_fd);
	close(c->resp_fd);
	if (c->pagemap_fd >= 0)
		close(c->pagemap_fd);
	c->pid = 0;
}

static void children_stop(struct child *c, int n)
{
	int i;

	for (i = 0; i < n; i++)
		child_stop(&c[i]);
}

static int child_start(struct child *c, setup_fn setup, void *arg)
{
	pid_t parent = getpid();
	int cmd[2], resp[2];
	char path[64];

	memset(c, 0, sizeof(*c));
	c->pagemap_fd = -1;
	if (pipe2(cmd, O_CLOEXEC))
		return -1;
	if (pipe2(resp, O_CLOEXEC)) {
		close(cmd[0]);
		close(cmd[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid == 0) {
		close(cmd[1]);
		close(resp[0]);
		child_main(parent, cmd[0], resp[1], setup, arg);
	}
	close(cmd[0]);
	close(resp[1]);
	if (c->pid < 0) {
		ksft_print_msg("fork: %s\n", strerror(errno));
		close(cmd[1]);
		close(resp[0]);
		c->pid = 0;
		return -1;
	}
	register_pid(c->pid);
	c->cmd_fd = cmd[1];
	c->resp_fd = resp[0];
	if (read_full(c->resp_fd, c->addr, sizeof(c->addr)) != sizeof(c->addr) ||
	    !c->addr[0]) {
		ksft_print_msg("helper child %d failed to set up\n", c->pid);
		child_stop(c);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/pagemap", c->pid);
	c->pagemap_fd = open(path, O_RDONLY);
	return 0;
}

static long child_cmd(struct child *c, int op, unsigned long a,
		      unsigned long b, unsigned long cc, unsigned long d)
{
	struct cmd cmd = { .op = op, .a = a, .b = b, .c = cc, .d = d };
	long ret;

	if (write(c->cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd) ||
	    read_full(c->resp_fd, &ret, sizeof(ret)) != sizeof(ret)) {
		ksft_print_msg("helper child %d does not answer\n", c->pid);
		return LONG_MIN;
	}
	return ret;
}

/* region r of child c: fill pages [from, from + n) with key base */
static long child_fill(struct child *c, int r, size_t from, size_t n,
		       unsigned long key)
{
	return child_cmd(c, CMD_FILL, c->addr[r] + from * pagesize, n, key, 0);
}

static bool child_check(struct child *c, int r, size_t from, size_t n,
			unsigned long key)
{
	long bad = child_cmd(c, CMD_CHECK, c->addr[r] + from * pagesize, n,
			     key, 0);

	if (bad)
		ksft_print_msg("pid %d: %ld of %zu pages have wrong content\n",
			       c->pid, bad, n);
	return bad == 0;
}

static int setup_anon(unsigned long *addr, void *arg)
{
	size_t len = (uintptr_t)arg * pagesize;
	void *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	addr[0] = (unsigned long)p;
	return 0;
}

/*
 * A child with one anonymous region of np pages: the first ns pages hold
 * key base skey, the others ukey (pass a key unique to the child).
 */
static int spawn(struct child *c, size_t np, size_t ns, unsigned long skey,
		 unsigned long ukey)
{
	if (child_start(c, setup_anon, (void *)(uintptr_t)np))
		return -1;
	if (child_fill(c, 0, 0, ns, skey) ||
	    (np > ns && child_fill(c, 0, ns, np - ns, ukey + ns))) {
		child_stop(c);
		return -1;
	}
	return 0;
}

static int spawn_n(struct child *c, int n, size_t np, size_t ns,
		   unsigned long skey, unsigned long ukey)
{
	int i;

	for (i = 0; i < n; i++)
		if (spawn(&c[i], np, ns, skey, ukey + ((unsigned long)i << 24))) {
			children_stop(c, i);
			return -1;
		}
	return 0;
}

static unsigned long cpfn(struct child *c, int r, size_t i)
{
	if (c->pagemap_fd < 0)
		return -1UL;
	return pagemap_get_pfn(c->pagemap_fd, (char *)(c->addr[r] + i * pagesize));
}

static long merge(int fd, struct child *c, int r, size_t np)
{
	return sys_ksm_merge(fd, c->pid, c->addr[r], np * pagesize);
}

static long unmerge(int fd, struct child *c, int r, size_t from, size_t np)
{
	return sys_ksm_unmerge(fd, c->pid, c->addr[r] + from * pagesize,
			       np * pagesize);
}

/*
 * Pages [from, to) of region r: present, and every child maps the same PFN
 * at each index (a KSM page). Different indexes hold different content, so
 * their PFNs must differ too.
 */
static bool pages_merged(struct child *c, int n, int r, size_t from, size_t to)
{
	unsigned long pfn, prev = -1UL;
	size_t i;
	int k;

	for (i = from; i < to; i++) {
		pfn = cpfn(&c[0], r, i);
		if (pfn == -1UL || !pfn) {
			ksft_print_msg("pid %d page %zu: not present\n",
				       c[0].pid, i);
			return false;
		}
		if (pfn == prev) {
			ksft_print_msg("pages %zu and %zu share pfn %lx\n",
				       i - 1, i, pfn);
			return false;
		}
		for (k = 1; k < n; k++)
			if (cpfn(&c[k], r, i) != pfn) {
				ksft_print_msg("page %zu: pid %d pfn %lx, pid %d pfn %lx: not merged\n",
					       i, c[0].pid, pfn, c[k].pid,
					       cpfn(&c[k], r, i));
				return false;
			}
		prev = pfn;
	}
	return true;
}

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Pages [from, to) of region r of n children: all present and no PFN
 * appears twice (nothing merged among them).
 */
static bool pages_private(struct child *c, int n, int r, size_t from, size_t to)
{
	size_t i, cnt = 0, len = (to - from) * n;
	unsigned long *pfn;
	bool ok = true;
	int k;

	pfn = calloc(len, sizeof(*pfn));
	if (!pfn)
		return false;
	for (k = 0; k < n; k++)
		for (i = from; i < to; i++) {
			pfn[cnt] = cpfn(&c[k], r, i);
			if (pfn[cnt] == -1UL || !pfn[cnt]) {
				ksft_print_msg("pid %d page %zu: not present\n",
					       c[k].pid, i);
				ok = false;
			}
			cnt++;
		}
	qsort(pfn, cnt, sizeof(*pfn), cmp_ulong);
	for (i = 1; ok && i < cnt; i++)
		if (pfn[i] == pfn[i - 1]) {
			ksft_print_msg("pfn %lx mapped twice: pages merged\n",
				       pfn[i]);
			ok = false;
		}
	free(pfn);
	return ok;
}

/* No PFN of a's region ra pages [0, na) is one of b's region rb [0, nb). */
static bool pfns_disjoint(struct child *a, int ra, size_t na,
			  struct child *b, int rb, size_t nb)
{
	unsigned long *pfn, p;
	bool ok = true;
	size_t i;

	pfn = calloc(nb, sizeof(*pfn));
	if (!pfn)
		return false;
	for (i = 0; i < nb; i++)
		pfn[i] = cpfn(b, rb, i);
	qsort(pfn, nb, sizeof(*pfn), cmp_ulong);
	for (i = 0; i < na && ok; i++) {
		p = cpfn(a, ra, i);
		if (p == -1UL || !p) {
			ksft_print_msg("pid %d page %zu: not present\n",
				       a->pid, i);
			ok = false;
			break;
		}
		if (bsearch(&p, pfn, nb, sizeof(*pfn), cmp_ulong)) {
			ksft_print_msg("pid %d page %zu and pid %d share pfn %lx\n",
				       a->pid, i, b->pid, p);
			ok = false;
		}
	}
	free(pfn);
	return ok;
}

static void fail_n(int n, const char *why)
{
	while (n-- > 0)
		ksft_test_result_fail("%s\n", why);
}

/* ------------------------------------------------------------ the tests */

/* Reference result of test_merge_syscall(), compared by test_sysfs(). */
static long ref_shared = -1, ref_sharing = -1, ref_calls = -1;

#define MERGE_NP	64
#define MERGE_NS	48

#define NR_MERGE	7
static void test_merge_syscall(void)
{
	const char *name = PREFIX "merge";
	long ret[4], g_shared, g_sharing, scanned, full_scans;
	bool ok_ret, ok_pfn, ok_part, ok_glob, ok_stat, ok_data = true;
	struct child c[3];
	int fd, i;

	full_scans = ksm_get("full_scans");
	g_shared = ksm_get("pages_shared");
	g_sharing = ksm_get("pages_sharing");
	fd = sys_ksm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd < 0) {
		ksft_print_msg("ksm_open(O_CREAT): %s\n", strerror(errno));
		fail_n(NR_MERGE, "merge: setup failed");
		return;
	}
	if (spawn_n(c, 3, MERGE_NP, MERGE_NS, KEY(1, 1), KEY(1, 2))) {
		fail_n(NR_MERGE, "merge: setup failed");
		goto out_close;
	}
	scanned = part_get(name, "pages_scanned");

	/* one call per process; the first finds nothing to merge with */
	for (i = 0; i < 3; i++)
		ret[i] = merge(fd, &c[i], 0, MERGE_NP);
	/* child 0's pages are now shared as well */
	ret[3] = merge(fd, &c[0], 0, MERGE_NP);
	ok_ret = expect_ret(ret[0], 0, "ksm_merge (first process)");
	ok_ret &= expect_ret(ret[1], MERGE_NS, "ksm_merge (second process)");
	ok_ret &= expect_ret(ret[2], MERGE_NS, "ksm_merge (third process)");
	ok_ret &= expect_ret(ret[3], MERGE_NS, "ksm_merge (first process again)");
	ksft_test_result(ok_ret, "merge: ksm_merge returns the number of pages sharing a KSM page\n");

	ok_pfn = pages_merged(c, 3, 0, 0, MERGE_NS) &&
		 pages_private(c, 3, 0, MERGE_NS, MERGE_NP);
	ksft_test_result(ok_pfn, "merge: identical pages of 3 processes (no madvise/prctl) share one PFN, others do not\n");

	ok_part = expect_part3(name, MERGE_NS, 2 * MERGE_NS, 3);
	ok_part &= expect_part(name, "merge_calls", 4);
	if (part_get(name, "pages_scanned") - scanned < 3 * MERGE_NP) {
		ksft_print_msg("pages_scanned grew by %ld, expected >= %d\n",
			       part_get(name, "pages_scanned") - scanned,
			       3 * MERGE_NP);
		ok_part = false;
	}
	ksft_print_msg("pages_unshared %ld pages_scanned %ld\n",
		       part_get(name, "pages_unshared"),
		       part_get(name, "pages_scanned"));
	ksft_test_result(ok_part, "merge: partition counters pages_shared/pages_sharing/pages_scanned/merge_calls/members\n");
	ref_shared = part_get(name, "pages_shared");
	ref_sharing = part_get(name, "pages_sharing");
	ref_calls = part_get(name, "merge_calls");

	ok_glob = expect_ret(ksm_get("pages_shared") - g_shared, MERGE_NS,
			     "global pages_shared increase");
	ok_glob &= expect_ret(ksm_get("pages_sharing") - g_sharing,
			      2 * MERGE_NS, "global pages_sharing increase");
	ksft_test_result(ok_glob, "merge: global pages_shared/pages_sharing count partition merges\n");

	ok_stat = true;
	for (i = 0; i < 3; i++)
		ok_stat &= expect_merging(c[i].pid, MERGE_NS);
	ksft_test_result(ok_stat, "merge: /proc/PID/ksm_stat and ksm_merging_pages count partition merges\n");

	for (i = 0; i < 3; i++)
		ok_data &= child_check(&c[i], 0, 0, MERGE_NS, KEY(1, 1)) &&
			   child_check(&c[i], 0, MERGE_NS, MERGE_NP - MERGE_NS,
				       KEY(1, 2) + ((unsigned long)i << 24) + MERGE_NS);
	ksft_test_result(ok_data, "merge: contents intact after merge\n");

	ksft_test_result(ksm_get("run") == 0 && ksm_get("full_scans") == full_scans,
			 "merge: done without ksmd (run=0, full_scans unchanged)\n");
	children_stop(c, 3);
out_close:
	close(fd);
	sys_ksm_unlink(name);
}

#define NR_SYSFS	5
static void test_sysfs(void)
{
	const char *name = PREFIX "sysfs";
	unsigned long key = KEY(2, 1);
	struct child c[4], trio[3];
	long sharing;
	bool ok;
	int i;

	ok = expect_ret(part_add(name), 0, "add_partition") &&
	     part_exists(name) &&
	     expect_part(name, "mode", 0600) && expect_part(name, "uid", 0) &&
	     expect_part(name, "gid", 0) &&
	     expect_part3(name, 0, 0, 0) &&
	     expect_part(name, "pages_scanned", 0) &&
	     expect_part(name, "merge_calls", 0);
	ksft_test_result(ok, "sysfs: add_partition creates an empty partition owned by root, mode 0600\n");
	if (!ok || spawn_n(c, 4, MERGE_NP, MERGE_NS, key, KEY(2, 2))) {
		fail_n(NR_SYSFS - 1, "sysfs: setup failed");
		part_remove(name);
		return;
	}

	ok = true;
	for (i = 0; i < 3; i++)
		ok &= expect_ret(part_trigger(name, "trigger_merge", c[i].pid,
					      c[i].addr[0],
					      c[i].addr[0] + MERGE_NP * pagesize),
				 0, "trigger_merge");
	ok &= expect_ret(part_trigger(name, "trigger_merge", c[0].pid,
				      c[0].addr[0],
				      c[0].addr[0] + MERGE_NP * pagesize),
			 0, "trigger_merge");
	ok &= pages_merged(c, 3, 0, 0, MERGE_NS) &&
	      pages_private(c, 3, 0, MERGE_NS, MERGE_NP);
	ok &= expect_part3(name, MERGE_NS, 2 * MERGE_NS, 3);
	ok &= expect_part(name, "merge_calls", 4);
	for (i = 0; i < 3; i++)
		ok &= expect_merging(c[i].pid, MERGE_NS);
	ok &= expect_ret(part_get(name, "pages_shared"), ref_shared,
			 "pages_shared, as with ksm_merge");
	ok &= expect_ret(part_get(name, "pages_sharing"), ref_sharing,
			 "pages_sharing, as with ksm_merge");
	ok &= expect_ret(part_get(name, "merge_calls"), ref_calls,
			 "merge_calls, as with ksm_merge");
	ksft_test_result(ok, "sysfs: trigger_merge gives the same result as ksm_merge\n");

	/* "PID" alone: the whole address space */
	ok = expect_ret(part_trigger(name, "trigger_merge", c[3].pid, 0, 0),
			0, "trigger_merge PID");
	ok &= pages_merged(c, 4, 0, 0, MERGE_NS) &&
	      pages_private(c, 4, 0, MERGE_NS, MERGE_NP);
	ok &= expect_part(name, "members", 4);
	if (part_get(name, "pages_sharing") < 3 * MERGE_NS) {
		ksft_print_msg("pages_sharing %ld < %d\n",
			       part_get(name, "pages_sharing"), 3 * MERGE_NS);
		ok = false;
	}
	ksft_test_result(ok, "sysfs: trigger_merge with PID alone merges the whole address space\n");

	/* unmerge half of child 1's shared pages */
	sharing = part_get(name, "pages_sharing");
	ok = expect_ret(part_trigger(name, "trigger_unmerge", c[1].pid,
				     c[1].addr[0],
				     c[1].addr[0] + MERGE_NS / 2 * pagesize),
			0, "trigger_unmerge");
	ok &= pfns_disjoint(&c[1], 0, MERGE_NS / 2, &c[0], 0, MERGE_NP);
	ok &= expect_merging(c[1].pid, MERGE_NS / 2);
	ok &= expect_part(name, "pages_sharing", sharing - MERGE_NS / 2);
	ok &= child_check(&c[1], 0, 0, MERGE_NS, key);
	ksft_test_result(ok, "sysfs: trigger_unmerge of a range restores private pages\n");

	/* remove while merged */
	ok = expect_ret(part_remove(name), 0, "remove_partition") &&
	     !part_exists(name);
	trio[0] = c[0];
	trio[1] = c[2];
	trio[2] = c[3];
	ok &= pages_merged(trio, 3, 0, 0, MERGE_NS);
	for (i = 0; i < 4; i++)
		ok &= child_check(&c[i], 0, 0, MERGE_NS, key);
	ksft_test_result(ok, "sysfs: remove_partition with merged pages: directory gone, pages intact\n");
	children_stop(c, 4);
	part_remove(name);
}

#define NR_RANGE	1
static void test_range(void)
{
	const char *name = PREFIX "range";
	unsigned long key = KEY(3, 1);
	struct child c[2];
	bool ok;
	int fd;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 2, 16, 16, key, 0)) {
		fail_n(NR_RANGE, "range: setup failed");
		goto out;
	}
	/* [4, 12) of a 16-page VMA: starts and ends inside it */
	ok = expect_ret(merge(fd, &c[0], 0, 16), 0, "ksm_merge whole VMA");
	ok &= expect_ret(sys_ksm_merge(fd, c[1].pid, c[1].addr[0] + 4 * pagesize,
				       8 * pagesize), 8, "ksm_merge [4, 12)");
	ok &= pages_merged(c, 2, 0, 4, 12);
	ok &= pages_private(c, 2, 0, 0, 4) && pages_private(c, 2, 0, 12, 16);
	ok &= expect_merging(c[1].pid, 8);
	ok &= child_check(&c[0], 0, 0, 16, key) && child_check(&c[1], 0, 0, 16, key);
	ksft_test_result(ok, "range: a range starting and ending inside a VMA merges only that part\n");
	children_stop(c, 2);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

/*
 * A window of 16-page regions, one per kind of memory:
 * 0 anon, 1 hole, 2 shared anon, 3 shared memfd, 4 private memfd (page
 * cache pages, never written), 5 anon PROT_NONE, 6 anon.
 * addr[0]: window, addr[1]: a hugetlb page or 0.
 */
#define SKIP_REG	16
#define SKIP_NR		7
#define SKIP_KEY(r)	(KEY(4, 1) + (r) * 0x1000UL)

static int setup_skip(unsigned long *addr, void *arg)
{
	size_t rlen = SKIP_REG * pagesize, i;
	char *win, *p, buf[4096];
	int fd, r;

	win = mmap(NULL, SKIP_NR * rlen, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (win == MAP_FAILED || pagesize > sizeof(buf))
		return -1;
	for (r = 0; r < SKIP_NR; r++) {
		p = win + r * rlen;
		switch (r) {
		case 1:
			munmap(p, rlen);
			continue;
		case 2:
			p = mmap(p, rlen, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		case 3:
		case 4:
			fd = memfd_create("ksm_partition", 0);
			if (fd < 0)
				return -1;
			for (i = 0; i < SKIP_REG; i++) {
				fill_page(buf, key_of(SKIP_KEY(r), i));
				if (pwrite(fd, buf, pagesize, i * pagesize) !=
				    (ssize_t)pagesize)
					return -1;
			}
			p = mmap(p, rlen, r == 3 ? PROT_READ | PROT_WRITE : PROT_READ,
				 (r == 3 ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED,
				 fd, 0);
			close(fd);
			break;
		default:
			p = mmap(p, rlen, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			break;
		}
		if (p == MAP_FAILED)
			return -1;
		for (i = 0; i < SKIP_REG; i++) {
			if (r == 4)	/* fault the page cache page in */
				(void)*(volatile char *)(p + i * pagesize);
			else if (r != 3)
				fill_page(p + i * pagesize, key_of(SKIP_KEY(r), i));
		}
		if (r == 3)	/* map the page cache pages writable */
			for (i = 0; i < SKIP_REG; i++) {
				volatile char *v = p + i * pagesize + 8;

				*v = *v;
			}
		if (r == 5 && mprotect(p, rlen, PROT_NONE))
			return -1;
	}
	addr[0] = (unsigned long)win;

	if ((uintptr_t)arg) {
		size_t hsize = (uintptr_t)arg;

		p = mmap(NULL, hsize, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (p != MAP_FAILED) {
			for (i = 0; i < hsize / pagesize; i++)
				fill_page(p + i * pagesize, key_of(SKIP_KEY(7), i));
			addr[1] = (unsigned long)p;
		}
	}
	return 0;
}

static bool skip_pfns_same(unsigned long *before, struct child *c, int r)
{
	size_t i;

	for (i = 0; i < SKIP_REG; i++)
		if (cpfn(c, 0, r * SKIP_REG + i) != before[i]) {
			ksft_print_msg("pid %d region %d page %zu: pfn %lx changed to %lx\n",
				       c->pid, r, i, before[i],
				       cpfn(c, 0, r * SKIP_REG + i));
			return false;
		}
	return true;
}

static bool skip_region_check(struct child *c, int r)
{
	return child_check(c, 0, r * SKIP_REG, SKIP_REG, SKIP_KEY(r));
}

#define NR_SKIP		5
static void test_skip(void)
{
	const char *name = PREFIX "skip";
	unsigned long before[2][SKIP_NR][SKIP_REG];
	size_t hsize = 0, win = SKIP_NR * SKIP_REG * pagesize, i;
	long ret0, ret1, old_nr = -1, expect;
	bool ok, protnone_merged;
	struct child c[2];
	char buf[32];
	int fd, k, r;

	/* two huge pages for hugetlb, if the kernel has it */
	if (!access("/proc/sys/vm/nr_hugepages", F_OK)) {
		old_nr = read_num("/proc/sys/vm/nr_hugepages", 10);
		snprintf(buf, sizeof(buf), "%ld", old_nr + 2);
		write_file("/proc/sys/vm/nr_hugepages", buf);
		if (get_free_hugepages() >= 2)
			hsize = default_huge_page_size();
	}

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || child_start(&c[0], setup_skip, (void *)hsize)) {
		fail_n(NR_SKIP, "skip: setup failed");
		goto out;
	}
	if (child_start(&c[1], setup_skip, (void *)hsize)) {
		child_stop(&c[0]);
		fail_n(NR_SKIP, "skip: setup failed");
		goto out;
	}
	for (k = 0; k < 2; k++)
		for (r = 2; r <= 4; r++)
			for (i = 0; i < SKIP_REG; i++)
				before[k][r][i] = cpfn(&c[k], 0, r * SKIP_REG + i);
	if (hsize && (!c[0].addr[1] || !c[1].addr[1]))
		hsize = 0;
	for (k = 0; k < 2 && hsize; k++)
		before[k][0][0] = cpfn(&c[k], 1, 0);

	ret0 = sys_ksm_merge(fd, c[0].pid, c[0].addr[0], win);
	ret1 = sys_ksm_merge(fd, c[1].pid, c[1].addr[0], win);

	/*
	 * PROT_NONE anonymous pages: the VMA rules are those of
	 * MADV_MERGEABLE, which do not exclude them. Either is fine, as long
	 * as no data is lost.
	 */
	protnone_merged = cpfn(&c[0], 0, 5 * SKIP_REG) == cpfn(&c[1], 0, 5 * SKIP_REG);
	ksft_print_msg("PROT_NONE pages %smerged\n", protnone_merged ? "" : "not ");
	expect = 2 * SKIP_REG + (protnone_merged ? SKIP_REG : 0);

	ok = true;
	for (k = 0; k < 2; k++)
		ok &= skip_pfns_same(before[k][2], &c[k], 2);
	ok &= pages_private(c, 2, 0, 2 * SKIP_REG, 3 * SKIP_REG);
	ok &= skip_region_check(&c[0], 2) && skip_region_check(&c[1], 2);
	ksft_test_result(ok, "skip: MAP_SHARED anonymous pages are not merged\n");

	ok = true;
	for (k = 0; k < 2; k++)
		ok &= skip_pfns_same(before[k][3], &c[k], 3) &&
		      skip_pfns_same(before[k][4], &c[k], 4);
	ok &= pages_private(c, 2, 0, 3 * SKIP_REG, 5 * SKIP_REG);
	for (k = 0; k < 2; k++)
		ok &= skip_region_check(&c[k], 3) && skip_region_check(&c[k], 4);
	ksft_test_result(ok, "skip: file-backed pages (shared and private memfd) are not merged\n");

	if (hsize) {
		ok = true;
		for (k = 0; k < 2; k++) {
			ok &= expect_ret(sys_ksm_merge(fd, c[k].pid, c[k].addr[1], hsize),
					 0, "ksm_merge of a hugetlb range");
			ok &= cpfn(&c[k], 1, 0) == before[k][0][0];
			ok &= child_check(&c[k], 1, 0, hsize / pagesize, SKIP_KEY(7));
		}
		ok &= cpfn(&c[0], 1, 0) != cpfn(&c[1], 1, 0);
		ksft_test_result(ok, "skip: hugetlb pages are not merged\n");
	} else {
		ksft_test_result_skip("skip: hugetlb pages are not merged (no hugetlb pages)\n");
	}

	ok = true;
	for (k = 0; k < 2; k++)
		ok &= expect_ret(child_cmd(&c[k], CMD_MPROTECT,
					   c[k].addr[0] + 5 * SKIP_REG * pagesize,
					   SKIP_REG * pagesize,
					   PROT_READ | PROT_WRITE, 0), 0, "mprotect");
	ok &= skip_region_check(&c[0], 5) && skip_region_check(&c[1], 5);
	/* a write to one of them must not show in the other */
	ok &= !child_cmd(&c[1], CMD_WRITE, c[1].addr[0] + 5 * SKIP_REG * pagesize, 42, 0, 0);
	ok &= skip_region_check(&c[0], 5);
	ok &= child_cmd(&c[1], CMD_READ, c[1].addr[0] + 5 * SKIP_REG * pagesize, 0, 0, 0) == 42;
	ksft_test_result(ok, "skip: PROT_NONE pages: no error, contents intact, writes private\n");

	ok = expect_ret(ret0, 0, "ksm_merge of the window (first process)");
	ok &= expect_ret(ret1, expect, "ksm_merge of the window (second process)");
	ok &= pages_merged(c, 2, 0, 0, SKIP_REG);
	ok &= pages_merged(c, 2, 0, 6 * SKIP_REG, 7 * SKIP_REG);
	ok &= skip_region_check(&c[0], 0) && skip_region_check(&c[0], 6) &&
	      skip_region_check(&c[1], 0) && skip_region_check(&c[1], 6);
	ksft_test_result(ok, "skip: a range with holes and skipped VMAs merges the anonymous pages around them\n");
	children_stop(c, 2);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
	if (old_nr >= 0) {
		snprintf(buf, sizeof(buf), "%ld", old_nr);
		write_file("/proc/sys/vm/nr_hugepages", buf);
	}
}

static int setup_thp(unsigned long *addr, void *arg)
{
	size_t hsize = (uintptr_t)arg, i;
	char *p;

	p = mmap(NULL, 2 * hsize, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	p = (char *)(((uintptr_t)p + hsize - 1) & ~(hsize - 1));
	madvise(p, hsize, MADV_HUGEPAGE);
	for (i = 0; i < hsize / pagesize; i++)
		fill_page(p + i * pagesize, key_of(KEY(5, 1), i));
	addr[0] = (unsigned long)p;
	addr[1] = check_huge_anon(p, 1, hsize);
	return 0;
}

#define NR_THP		1
static void test_thp(void)
{
	const char *name = PREFIX "thp";
	struct child c[2];
	size_t hsize, np;
	bool ok;
	int fd;

	if (access(THP_DIR "/enabled", F_OK)) {
		ksft_test_result_skip("thp: THPs are split and merged (no THP)\n");
		return;
	}
	hsize = read_pmd_pagesize();
	np = hsize / pagesize;
	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || child_start(&c[0], setup_thp, (void *)hsize)) {
		fail_n(NR_THP, "thp: setup failed");
		goto out;
	}
	if (child_start(&c[1], setup_thp, (void *)hsize)) {
		child_stop(&c[0]);
		fail_n(NR_THP, "thp: setup failed");
		goto out;
	}
	if (!c[0].addr[1] || !c[1].addr[1]) {
		ksft_test_result_skip("thp: THPs are split and merged (no THP allocated)\n");
		goto out_stop;
	}
	ok = expect_ret(merge(fd, &c[0], 0, np), 0, "ksm_merge (first THP)");
	ok &= expect_ret(merge(fd, &c[1], 0, np), np, "ksm_merge (second THP)");
	ok &= pages_merged(c, 2, 0, 0, np);
	ok &= !child_cmd(&c[1], CMD_IS_HUGE, c[1].addr[0], 1, hsize, 0);
	ok &= child_check(&c[0], 0, 0, np, KEY(5, 1)) &&
	      child_check(&c[1], 0, 0, np, KEY(5, 1));
	ok &= expect_part(name, "pages_shared", np);
	ksft_test_result(ok, "thp: THPs are split and all their pages merged\n");
out_stop:
	children_stop(c, 2);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

#define NR_ISO		1
static void test_isolation(void)
{
	const char *a = PREFIX "iso_a", *b = PREFIX "iso_b";
	struct child c[4];
	int fa, fb;
	bool ok;

	fa = sys_ksm_open(a, O_CREAT | O_RDWR, 0600);
	fb = sys_ksm_open(b, O_CREAT | O_RDWR, 0600);
	if (fa < 0 || fb < 0 || spawn_n(c, 4, 32, 32, KEY(6, 1), 0)) {
		fail_n(NR_ISO, "isolation: setup failed");
		goto out;
	}
	ok = expect_ret(merge(fa, &c[0], 0, 32), 0, "ksm_merge A (first)");
	ok &= expect_ret(merge(fb, &c[2], 0, 32), 0, "ksm_merge B (first)");
	ok &= expect_ret(merge(fa, &c[1], 0, 32), 32, "ksm_merge A (second)");
	ok &= expect_ret(merge(fb, &c[3], 0, 32), 32, "ksm_merge B (second)");
	ok &= pages_merged(&c[0], 2, 0, 0, 32) && pages_merged(&c[2], 2, 0, 0, 32);
	ok &= pfns_disjoint(&c[0], 0, 32, &c[2], 0, 32);
	ok &= expect_part3(a, 32, 32, 2) && expect_part3(b, 32, 32, 2);
	ksft_test_result(ok, "isolation: identical pages in partitions A and B never share a PFN\n");
	children_stop(c, 4);
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	sys_ksm_unlink(a);
	sys_ksm_unlink(b);
}

static char saved_run[16], saved_pages_to_scan[16], saved_sleep[16];

static void save_ksmd(void)
{
	read_file(KSM_DIR "/run", saved_run, sizeof(saved_run));
	read_file(KSM_DIR "/pages_to_scan", saved_pages_to_scan,
		  sizeof(saved_pages_to_scan));
	read_file(KSM_DIR "/sleep_millisecs", saved_sleep, sizeof(saved_sleep));
}

static void restore_ksmd(bool run)
{
	if (run && saved_run[0])
		ksm_set("run", saved_run);
	if (saved_pages_to_scan[0])
		ksm_set("pages_to_scan", saved_pages_to_scan);
	if (saved_sleep[0])
		ksm_set("sleep_millisecs", saved_sleep);
}

#define NR_GLOBAL	5
static void test_global(void)
{
	const char *name = PREFIX "global";
	unsigned long key = KEY(7, 1);
	struct child g[3], p[3];
	long scans;
	double end;
	bool ok, merged = false;
	int fd, i;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(g, 3, 32, 32, key, 0)) {
		fail_n(NR_GLOBAL, "global: setup failed");
		goto out;
	}
	if (spawn_n(p, 3, 32, 32, key, 0)) {
		children_stop(g, 3);
		fail_n(NR_GLOBAL, "global: setup failed");
		goto out;
	}
	/* g0, g1: MADV_MERGEABLE; g2: PR_SET_MEMORY_MERGE */
	for (i = 0; i < 2; i++)
		child_cmd(&g[i], CMD_MADVISE, g[i].addr[0], 32 * pagesize,
			  MADV_MERGEABLE, 0);
	ok = child_cmd(&g[2], CMD_PRCTL_MERGE, 0, 0, 0, 0) == 0;

	ksft_test_result(expect_err(merge(fd, &g[0], 0, 32), EBUSY,
				    "ksm_merge of a MADV_MERGEABLE process"),
			 "busy: a process in the global domain (MADV_MERGEABLE) -> EBUSY\n");
	if (ok)
		ksft_test_result(expect_err(merge(fd, &g[2], 0, 32), EBUSY,
					    "ksm_merge of a PR_SET_MEMORY_MERGE process"),
				 "busy: a process in the global domain (PR_SET_MEMORY_MERGE) -> EBUSY\n");
	else
		ksft_test_result_skip("busy: a process in the global domain (PR_SET_MEMORY_MERGE) -> EBUSY (no prctl)\n");

	/* partition p0, p1 merged before ksmd runs, p2 after */
	ok = expect_ret(merge(fd, &p[0], 0, 32), 0, "ksm_merge p0");
	ok &= expect_ret(merge(fd, &p[1], 0, 32), 32, "ksm_merge p1");
	/*
	 * A member asking for the global domain itself: whatever madvise()
	 * and prctl() return, ksmd must not merge its pages.
	 */
	ksft_print_msg("member: MADV_MERGEABLE -> %ld, PR_SET_MEMORY_MERGE -> %ld\n",
		       child_cmd(&p[0], CMD_MADVISE, p[0].addr[0], 32 * pagesize,
				 MADV_MERGEABLE, 0),
		       child_cmd(&p[0], CMD_PRCTL_MERGE, 0, 0, 0, 0));

	ksm_set("pages_to_scan", "10000");
	ksm_set("sleep_millisecs", "10");
	scans = ksm_get("full_scans");
	ksm_set("run", "1");
	end = now() + 30;
	while (now() < end) {
		usleep(20000);
		if (ksm_get("full_scans") < scans + 3)
			continue;
		if (cpfn(&g[0], 0, 0) == cpfn(&g[1], 0, 0) &&
		    cpfn(&g[0], 0, 31) == cpfn(&g[2], 0, 31)) {
			merged = true;
			break;
		}
	}
	ksm_set("run", "0");
	restore_ksmd(false);
	ksft_test_result(merged && pages_merged(g, 3, 0, 0, 32),
			 "isolation: ksmd merges the global domain while partitions exist\n");

	ok &= expect_ret(merge(fd, &p[2], 0, 32), 32, "ksm_merge p2");
	ok &= pages_merged(p, 3, 0, 0, 32);
	for (i = 0; i < 3; i++)
		ok &= pfns_disjoint(&g[i], 0, 32, &p[0], 0, 32);
	ok &= expect_part3(name, 32, 64, 3);
	for (i = 0; i < 3; i++)
		ok &= child_check(&g[i], 0, 0, 32, key) &&
		      child_check(&p[i], 0, 0, 32, key);
	ksft_test_result(ok, "isolation: the global domain (ksmd) never shares a PFN with a partition\n");

	/* run=2 unmerges the global domain only */
	ok = merged && expect_ret(ksm_set("run", "2"), 0, "run=2");
	ok = ok && pages_private(g, 3, 0, 0, 32) && pages_merged(p, 3, 0, 0, 32) &&
	     expect_part3(name, 32, 64, 3);
	for (i = 0; i < 3; i++)
		ok &= expect_merging(p[i].pid, 32) &&
		      child_check(&g[i], 0, 0, 32, key);
	ksm_set("run", "0");
	ksft_test_result(ok, "isolation: run=2 unmerges the global domain, not the partitions\n");
	children_stop(g, 3);
	children_stop(p, 3);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

#define NR_ZERO		2
static void test_zero(void)
{
	const char *name = PREFIX "zero";
	char old[16] = "", val[2] = "0", msg[128];
	struct child c[2];
	bool ok;
	size_t i;
	int fd, z, k;

	read_file(KSM_DIR "/use_zero_pages", old, sizeof(old));
	for (z = 0; z < NR_ZERO; z++) {
		snprintf(msg, sizeof(msg),
			 "zero: zero-filled pages merge in the partition, never with the zero page (use_zero_pages=%d)\n",
			 z);
		val[0] = '0' + z;
		if (!old[0] || ksm_set("use_zero_pages", val)) {
			ksft_test_result_skip("%s", msg);
			continue;
		}
		fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
		if (fd < 0 || spawn_n(c, 2, 16, 16, 0, 0)) {
			ksft_test_result_fail("%s", msg);
			if (fd >= 0)
				close(fd);
			sys_ksm_unlink(name);
			continue;
		}
		ok = expect_ret(merge(fd, &c[0], 0, 16), 16,
				"ksm_merge (16 zero pages in one process)");
		ok &= expect_ret(merge(fd, &c[1], 0, 16), 16,
				 "ksm_merge (16 zero pages in another)");
		for (k = 0; k < 2; k++)
			for (i = 0; i < 16; i++)
				if (cpfn(&c[k], 0, i) == zero_pfn || cpfn(&c[k], 0, i) == -1UL) {
					ksft_print_msg("pid %d page %zu: zero page or not present\n",
						       c[k].pid, i);
					ok = false;
					break;
				}
		/* one KSM page for all of them */
		for (i = 1; i < 16; i++)
			if (cpfn(&c[0], 0, i) != cpfn(&c[0], 0, 0) ||
			    cpfn(&c[1], 0, i) != cpfn(&c[0], 0, 0)) {
				ksft_print_msg("zero page %zu not merged\n", i);
				ok = false;
				break;
			}
		ok &= expect_part3(name, 1, 31, 2);
		for (k = 0; k < 2; k++) {
			ok &= expect_ret(proc_stat(c[k].pid, "ksm_zero_pages"), 0,
					 "ksm_zero_pages");
			ok &= child_check(&c[k], 0, 0, 16, 0);
		}
		ksft_test_result(ok, "%s", msg);
		children_stop(c, 2);
		close(fd);
		sys_ksm_unlink(name);
	}
	if (old[0])
		ksm_set("use_zero_pages", old);
}

#define NR_COW		4
static void test_cow(void)
{
	const char *name = PREFIX "cow";
	unsigned long key = KEY(8, 1), a;
	struct child c[3];
	long g_sharing;
	bool ok;
	int fd, i;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 3, 16, 16, key, 0)) {
		fail_n(NR_COW, "cow: setup failed");
		goto out;
	}
	g_sharing = ksm_get("pages_sharing");
	for (i = 0; i < 3; i++)
		merge(fd, &c[i], 0, 16);
	if (!pages_merged(c, 3, 0, 0, 16)) {
		fail_n(NR_COW, "cow: pages not merged");
		goto out_stop;
	}
	a = c[1].addr[0] + 5 * pagesize;
	ok = child_cmd(&c[1], CMD_WRITE, a, 0xdeadbeef, 0, 0) == 0;
	ok &= child_cmd(&c[1], CMD_READ, a, 0, 0, 0) == 0xdeadbeef;
	ok &= child_check(&c[1], 0, 0, 5, key) &&
	      child_check(&c[1], 0, 6, 10, key + 6);
	ok &= child_check(&c[0], 0, 0, 16, key) && child_check(&c[2], 0, 0, 16, key);
	ksft_test_result(ok, "cow: after a write to a merged page the writer sees its data, the others the old content\n");

	ok = cpfn(&c[1], 0, 5) != cpfn(&c[0], 0, 5) &&
	     cpfn(&c[0], 0, 5) == cpfn(&c[2], 0, 5);
	ok &= pages_merged(c, 3, 0, 0, 5) && pages_merged(c, 3, 0, 6, 16);
	ksft_test_result(ok, "cow: the written page gets a private copy, the others stay merged\n");

	ok = expect_part3(name, 16, 31, 3);
	ok &= expect_merging(c[1].pid, 15);
	ok &= expect_ret(ksm_get("pages_sharing") - g_sharing, 31,
			 "global pages_sharing increase");
	ksft_test_result(ok, "cow: counters exact right after the write\n");

	/* merging the writer again must account for the broken page */
	ok = expect_ret(merge(fd, &c[1], 0, 16), 15, "ksm_merge of the writer");
	ok &= expect_part3(name, 16, 31, 3) && expect_merging(c[1].pid, 15);
	ksft_test_result(ok, "cow: counters exact after merging the writer again\n");
out_stop:
	children_stop(c, 3);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

#define NR_UNMERGE	4
static void test_unmerge(void)
{
	const char *name = PREFIX "unmerge";
	unsigned long key = KEY(9, 1);
	struct child c[3];
	bool ok;
	int fd, i;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 3, 32, 32, key, 0)) {
		fail_n(NR_UNMERGE, "unmerge: setup failed");
		goto out;
	}
	for (i = 0; i < 3; i++)
		merge(fd, &c[i], 0, 32);
	if (!pages_merged(c, 3, 0, 0, 32) || !expect_part3(name, 32, 64, 3)) {
		fail_n(NR_UNMERGE, "unmerge: pages not merged");
		goto out_stop;
	}
	ok = expect_ret(unmerge(fd, &c[2], 0, 8, 16), 16, "ksm_unmerge [8, 24)");
	ok &= expect_ret(unmerge(fd, &c[2], 0, 8, 16), 0, "ksm_unmerge [8, 24) again");
	ksft_test_result(ok, "unmerge: ksm_unmerge returns the number of pages unmerged\n");

	ok = pages_private(&c[1], 2, 0, 8, 24) &&
	     pages_merged(c, 2, 0, 8, 24) &&
	     pages_merged(c, 3, 0, 0, 8) && pages_merged(c, 3, 0, 24, 32);
	for (i = 0; i < 3; i++)
		ok &= child_check(&c[i], 0, 0, 32, key);
	ksft_test_result(ok, "unmerge: unmerged pages are private copies with their content\n");

	ok = expect_part3(name, 32, 48, 3) && expect_merging(c[2].pid, 16) &&
	     expect_merging(c[0].pid, 32);
	ksft_test_result(ok, "unmerge: counters drop by the pages unmerged\n");

	/* whole address space: the process leaves the partition */
	ok = expect_ret(sys_ksm_unmerge(fd, c[2].pid, 0, 0), 16, "ksm_unmerge all of c2");
	ok &= expect_part3(name, 32, 32, 2) && expect_merging(c[2].pid, 0);
	ok &= expect_ret(sys_ksm_unmerge(fd, c[1].pid, 0, 0), 32, "ksm_unmerge all of c1");
	ok &= expect_ret(sys_ksm_unmerge(fd, c[0].pid, 0, 0), 32, "ksm_unmerge all of c0");
	ok &= expect_part3(name, 0, 0, 0);
	ok &= pages_private(c, 3, 0, 0, 32);
	for (i = 0; i < 3; i++)
		ok &= child_check(&c[i], 0, 0, 32, key);
	ksft_test_result(ok, "unmerge: whole-address-space unmerge of every member empties the partition\n");
out_stop:
	children_stop(c, 3);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

/* wait until a process that is not our child has exited */
static void wait_dead(pid_t pid)
{
	char path[64], buf[256], *p;
	double end = now() + 5;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	while (pid > 0 && now() < end) {
		if (read_file(path, buf, sizeof(buf)))
			return;
		p = strrchr(buf, ')');
		if (p && (p[2] == 'Z' || p[2] == 'X'))
			return;
		usleep(10000);
	}
}

static bool exec_into_b(int fa, int fb, const char *a, const char *b,
			struct child *c, unsigned long key)
{
	struct cmd cmd = { .op = CMD_EXEC, .a = 16, .b = key };
	long members = part_get(a, "members");
	char path[64];
	bool ok;

	if (write(c->cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd) ||
	    read_full(c->resp_fd, &c->addr[0], sizeof(long)) != sizeof(long)) {
		ksft_print_msg("exec of a helper failed\n");
		return false;
	}
	if ((long)c->addr[0] < 0) {	/* an errno from child_exec() */
		ksft_print_msg("execve: %s\n", strerror(-(long)c->addr[0]));
		return false;
	}
	close(c->pagemap_fd);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", c->pid);
	c->pagemap_fd = open(path, O_RDONLY);
	ok = expect_part(a, "members", members - 1);
	ok &= expect_ret(merge(fb, c, 0, 16), 16, "ksm_merge into B after execve()");
	ok &= expect_merging(c->pid, 16);
	return ok;
}

#define NR_BUSY		5
static void test_busy(void)
{
	const char *a = PREFIX "busy_a", *b = PREFIX "busy_b";
	unsigned long key = KEY(10, 1);
	struct child c[3];
	long gpid;
	int fa, fb;
	bool ok;

	fa = sys_ksm_open(a, O_CREAT | O_RDWR, 0600);
	fb = sys_ksm_open(b, O_CREAT | O_RDWR, 0600);
	if (fa < 0 || fb < 0 || spawn_n(c, 3, 16, 16, key, 0)) {
		fail_n(NR_BUSY, "busy: setup failed");
		goto out;
	}
	merge(fa, &c[0], 0, 16);
	merge(fa, &c[1], 0, 16);
	merge(fb, &c[2], 0, 16);
	ok = expect_err(merge(fb, &c[0], 0, 16), EBUSY, "ksm_merge into B of a member of A");
	ok &= expect_ret(part_trigger(b, "trigger_merge", c[0].pid, 0, 0), -EBUSY,
			 "trigger_merge into B of a member of A");
	ok &= expect_err(sys_ksm_merge(fb, c[0].pid, 0, 0), EBUSY,
			 "ksm_merge into B (whole address space) of a member of A");
	ok &= pfns_disjoint(&c[0], 0, 16, &c[2], 0, 16);
	ok &= expect_part3(b, 0, 0, 1);
	ksft_test_result(ok, "busy: merging a member of partition A into B -> EBUSY\n");

	gpid = child_cmd(&c[1], CMD_FORK, 0, 0, 0, 0);
	ok = gpid > 0 && expect_err(sys_ksm_merge(fb, gpid, 0, 0), EBUSY,
				    "ksm_merge into B of a forked child of a member of A");
	if (gpid > 0)
		kill(gpid, SIGKILL);
	ksft_test_result(ok, "busy: a child forked by a member of A inherits A (EBUSY for B)\n");

	wait_dead(gpid);
	ok = expect_ret(sys_ksm_unmerge(fa, c[0].pid, 0, 0), 16, "ksm_unmerge all of c0 from A");
	ok &= expect_part(a, "members", 1);
	ok &= expect_ret(merge(fb, &c[0], 0, 16), 16, "ksm_merge of c0 into B");
	ok &= pages_merged(&c[0], 1, 0, 0, 16);
	ok &= cpfn(&c[0], 0, 0) == cpfn(&c[2], 0, 0) &&
	      pfns_disjoint(&c[0], 0, 16, &c[1], 0, 16);
	ok &= expect_part3(b, 16, 16, 2);
	ksft_test_result(ok, "busy: after a full unmerge from A the process can join B\n");

	/* a merge that finds nothing to track leaves the process free */
	child_stop(&c[0]);
	ok = child_start(&c[0], setup_anon, (void *)16UL) == 0;
	ok = ok && expect_ret(merge(fa, &c[0], 0, 16), 0, "ksm_merge of untouched memory");
	ok = ok && expect_part(a, "members", 1);
	ok = ok && child_fill(&c[0], 0, 0, 16, key) == 0 &&
	     expect_ret(merge(fb, &c[0], 0, 16), 16,
			"ksm_merge into B after nothing was tracked in A");
	ksft_test_result(ok, "busy: a merge that tracks nothing does not make the process a member\n");

	/* c1, a member of A, execs: the new address space is in no domain */
	ok = exec_into_b(fa, fb, a, b, &c[1], key);
	ksft_test_result(ok, "busy: after execve() a member of A is in no domain and can join B\n");
	children_stop(c, 3);
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	sys_ksm_unlink(a);
	sys_ksm_unlink(b);
}

#define NR_LIFE		7
static void test_lifetime(void)
{
	const char *name = PREFIX "life";
	unsigned long key = KEY(11, 1);
	struct child c[5];
	int fd, fd2 = -1;
	bool ok;

	fd = sys_ksm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 5, 32, 32, key, 0)) {
		fail_n(NR_LIFE, "lifetime: setup failed");
		goto out;
	}
	merge(fd, &c[0], 0, 32);
	merge(fd, &c[1], 0, 32);
	if (!pages_merged(c, 2, 0, 0, 32)) {
		fail_n(NR_LIFE, "lifetime: pages not merged");
		goto out_stop;
	}

	ok = expect_ret(sys_ksm_unlink(name), 0, "ksm_unlink");
	ok &= !part_exists(name);
	ok &= expect_err(sys_ksm_open(name, O_RDWR, 0), ENOENT, "ksm_open of an unlinked name");
	ok &= expect_err(sys_ksm_unlink(name), ENOENT, "ksm_unlink of an unlinked name");
	ok &= expect_ret(part_remove(name), -ENOENT, "remove_partition of an unlinked name");
	ksft_test_result(ok, "lifetime: ksm_unlink removes the name at once (sysfs, ksm_open, ksm_unlink)\n");

	ok = pages_merged(c, 2, 0, 0, 32);
	ok &= child_check(&c[0], 0, 0, 32, key) && child_check(&c[1], 0, 0, 32, key);
	ksft_test_result(ok, "lifetime: merged pages stay merged and intact after removal\n");

	ok = child_cmd(&c[1], CMD_WRITE, c[1].addr[0] + 3 * pagesize, 77, 0, 0) == 0;
	ok &= child_cmd(&c[1], CMD_READ, c[1].addr[0] + 3 * pagesize, 0, 0, 0) == 77;
	ok &= child_check(&c[0], 0, 0, 32, key);
	ok &= cpfn(&c[0], 0, 3) != cpfn(&c[1], 0, 3);
	ksft_test_result(ok, "lifetime: copy-on-write still correct after removal\n");

	/* the fd still refers to the removed partition */
	ok = expect_ret(merge(fd, &c[2], 0, 32), 32,
			"ksm_merge through the fd of a removed partition");
	ok &= cpfn(&c[2], 0, 0) == cpfn(&c[0], 0, 0) &&
	      cpfn(&c[2], 0, 3) == cpfn(&c[0], 0, 3);
	ok &= expect_ret(unmerge(fd, &c[2], 0, 0, 32), 32,
			 "ksm_unmerge through the fd of a removed partition");
	ok &= pfns_disjoint(&c[2], 0, 32, &c[0], 0, 32);
	ksft_test_result(ok, "lifetime: the fd of a removed partition keeps it usable\n");

	ok = expect_ret(part_add(name), 0, "add_partition of the same name");
	ok &= expect_part3(name, 0, 0, 0);
	ok &= expect_part(name, "pages_unshared", 0) &&
	      expect_part(name, "pages_scanned", 0) &&
	      expect_part(name, "merge_calls", 0);
	ksft_test_result(ok, "lifetime: a re-added name is a fresh partition with zero counters\n");

	fd2 = sys_ksm_open(name, O_RDWR, 0);
	ok = fd2 >= 0;
	ok = ok && expect_ret(merge(fd2, &c[3], 0, 32), 0,
			      "ksm_merge into the new partition (first)");
	ok = ok && expect_ret(merge(fd2, &c[4], 0, 32), 32,
			      "ksm_merge into the new partition (second)");
	ok = ok && pages_merged(&c[3], 2, 0, 0, 32) &&
	     pfns_disjoint(&c[3], 0, 32, &c[0], 0, 32);
	ok = ok && expect_part3(name, 32, 32, 2);
	ksft_test_result(ok, "lifetime: a re-added name does not merge with the old partition's pages\n");

	ok = fd2 >= 0 && expect_err(merge(fd2, &c[0], 0, 32), EBUSY,
				    "ksm_merge into the new partition of a member of the old one");
	ksft_test_result(ok, "lifetime: a member of the removed partition is busy for the new one\n");
out_stop:
	children_stop(c, 5);
out:
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	sys_ksm_unlink(name);
}

#define NR_EXIT		2
static void test_exit(void)
{
	const char *name = PREFIX "exit";
	long g_shared, g_sharing;
	struct child c[3];
	bool ok = false, ok_glob = false;
	double end;
	int fd, i;

	g_shared = ksm_get("pages_shared");
	g_sharing = ksm_get("pages_sharing");
	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 3, 32, 24, KEY(12, 1), KEY(12, 2))) {
		fail_n(NR_EXIT, "exit: setup failed");
		goto out;
	}
	for (i = 0; i < 3; i++)
		merge(fd, &c[i], 0, 32);
	if (!expect_part3(name, 24, 48, 3)) {
		children_stop(c, 3);
		fail_n(NR_EXIT, "exit: pages not merged");
		goto out;
	}
	children_stop(c, 3);
	/* give deferred work a chance, but not forever */
	for (end = now() + 10; now() < end; usleep(50000)) {
		ok = part_get(name, "pages_shared") == 0 &&
		     part_get(name, "pages_sharing") == 0 &&
		     part_get(name, "pages_unshared") == 0 &&
		     part_get(name, "members") == 0;
		ok_glob = ksm_get("pages_shared") == g_shared &&
			  ksm_get("pages_sharing") == g_sharing;
		if (ok && ok_glob)
			break;
	}
	if (!ok) {
		expect_part3(name, 0, 0, 0);
		expect_part(name, "pages_unshared", 0);
	}
	ksft_test_result(ok, "exit: partition counters return to 0 after all members exit\n");
	if (!ok_glob)
		ksft_print_msg("global pages_shared %ld (was %ld), pages_sharing %ld (was %ld)\n",
			       ksm_get("pages_shared"), g_shared,
			       ksm_get("pages_sharing"), g_sharing);
	ksft_test_result(ok_glob, "exit: global counters return to their previous values\n");
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

/* a pid that does not exist: a reaped child's (pid reuse is unlikely) */
static pid_t dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static bool is_kthreadd(pid_t pid)
{
	char path[64], buf[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	return !read_file(path, buf, sizeof(buf)) && !strcmp(buf, "kthreadd\n");
}

typedef long (*range_fn)(int fd, pid_t pid, unsigned long addr, size_t size);

static bool check_range_errors(range_fn fn, const char *what, int fd,
			       int bad_fd, struct child *c)
{
	unsigned long a = c->addr[0], ps = pagesize;
	unsigned long task_size_past = 1UL << 57;	/* even with 5 levels */
	char msg[128];
	bool ok = true;
	int devnull, pagemap_fd_any = c->pagemap_fd;
	pid_t zombie;
	siginfo_t si;

#define E(call, err, desc) do {						\
	snprintf(msg, sizeof(msg), "%s: %s", what, desc);		\
	ok &= expect_err(call, err, msg);				\
} while (0)
	E(fn(bad_fd, c->pid, a, ps), EBADF, "closed fd");
	E(fn(-1, c->pid, a, ps), EBADF, "fd -1");
	devnull = open("/dev/null", O_RDWR);
	E(fn(devnull, c->pid, a, ps), EBADF, "/dev/null fd");
	close(devnull);
	E(fn(pagemap_fd_any, c->pid, a, ps), EBADF, "pagemap fd");

	E(fn(fd, c->pid, a + 1, ps), EINVAL, "unaligned address");
	E(fn(fd, c->pid, a, ps + 1), EINVAL, "unaligned size");
	E(fn(fd, c->pid, a, 0), EINVAL, "size 0");
	E(fn(fd, c->pid, -ps, 2 * ps), EINVAL, "overflowing range");
	E(fn(fd, c->pid, task_size_past, ps), EINVAL, "range past TASK_SIZE");
	E(fn(fd, c->pid, 0x7ffffffff000UL, 2 * ps), EINVAL, "range ending past TASK_SIZE");
	E(fn(fd, -1, a, ps), EINVAL, "pid -1");
	E(fn(fd, INT_MIN, a, ps), EINVAL, "pid INT_MIN");

	E(fn(fd, dead_pid(), a, ps), ESRCH, "no such process");
	E(fn(fd, 0x3fffffff, 0, 0), ESRCH, "pid beyond pid_max");
	if (is_kthreadd(2))
		E(fn(fd, 2, 0, 0), ESRCH, "kernel thread (kthreadd)");
	else
		ksft_print_msg("pid 2 is not kthreadd, not tested\n");
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	if (zombie > 0) {
		waitid(P_PID, zombie, &si, WEXITED | WNOWAIT);
		E(fn(fd, zombie, 0, 0), ESRCH, "exited (zombie) task");
		waitpid(zombie, NULL, 0);
	}
#undef E
	return ok;
}

static bool bad_name(const char *name, int err)
{
	char msg[160];
	bool ok;
	int fd;

	snprintf(msg, sizeof(msg), "ksm_open(\"%.80s\", O_CREAT)", name);
	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	ok = expect_err(fd, err, msg);
	if (fd >= 0) {
		close(fd);
		sys_ksm_unlink(name);
	}
	snprintf(msg, sizeof(msg), "ksm_unlink(\"%.80s\")", name);
	ok &= expect_err(sys_ksm_unlink(name), err, msg);
	return ok;
}

#define NR_SYSCALL	16
static void test_syscalls(void)
{
	const char *name = PREFIX "sys";
	char n63[64], n64[65], path[PATH_MAX], buf[128], msg[192];
	struct child c[2];
	mode_t old_umask;
	int fd, fd2, bad, flags;
	bool ok;
	long ret;

	fd = sys_ksm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ok = fd >= 0 && part_exists(name);
	fd2 = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	ok &= fd2 >= 0;
	if (fd2 >= 0)
		close(fd2);
	ok &= expect_err(sys_ksm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600),
			 EEXIST, "ksm_open(O_CREAT|O_EXCL) of an existing name");
	fd2 = sys_ksm_open(name, O_RDONLY, 0);
	ok &= fd2 >= 0;
	if (fd2 >= 0)
		close(fd2);
	ksft_test_result(ok, "ksm_open: O_CREAT creates or opens, O_CREAT|O_EXCL of an existing name -> EEXIST\n");
	if (fd < 0) {
		fail_n(NR_SYSCALL - 1, "ksm_open failed");
		return;
	}

	ksft_test_result(expect_err(sys_ksm_open(PREFIX "missing", O_RDWR, 0),
				    ENOENT, "ksm_open of an unknown name") &&
			 !part_exists(PREFIX "missing"),
			 "ksm_open: unknown name without O_CREAT -> ENOENT\n");

	ok = bad_name("", EINVAL) && bad_name("a/b", EINVAL) &&
	     bad_name("/", EINVAL) && bad_name(".", EINVAL) &&
	     bad_name("..", EINVAL) && bad_name("a b", EINVAL) &&
	     bad_name("caf\xc3\xa9", EINVAL) && bad_name("a\n", EINVAL) &&
	     bad_name("a*", EINVAL);
	ksft_test_result(ok, "ksm_open/ksm_unlink: bad names (empty, '/', '.', '..', space, non-ASCII) -> EINVAL\n");

	memset(n63, 'n', sizeof(n63));
	memcpy(n63, PREFIX, strlen(PREFIX));
	n63[63] = '\0';
	memset(n64, 'n', sizeof(n64));
	memcpy(n64, PREFIX, strlen(PREFIX));
	n64[64] = '\0';
	fd2 = sys_ksm_open(n63, O_CREAT | O_EXCL | O_RDWR, 0600);
	ok = expect_ret(fd2 >= 0, 1, "ksm_open of a 63-character name") &&
	     part_exists(n63);
	if (fd2 >= 0)
		close(fd2);
	ok &= expect_ret(sys_ksm_unlink(n63), 0, "ksm_unlink of a 63-character name");
	ok &= bad_name(n64, ENAMETOOLONG);
	ret = part_add(n64);
	if (ret != -ENAMETOOLONG && ret != -EINVAL) {
		ksft_print_msg("add_partition of a 64-character name: %ld\n", ret);
		ok = false;
	}
	ksft_test_result(ok, "ksm_open: 63-character name accepted, 64 characters -> ENAMETOOLONG\n");

	ok = expect_err(sys_ksm_open((const char *)1, O_RDWR, 0), EFAULT,
			"ksm_open of a bad pointer") &&
	     expect_err(sys_ksm_open(NULL, O_CREAT | O_RDWR, 0600), EFAULT,
			"ksm_open(NULL)") &&
	     expect_err(sys_ksm_unlink(NULL), EFAULT, "ksm_unlink(NULL)");
	ksft_test_result(ok, "ksm_open/ksm_unlink: bad name pointer -> EFAULT\n");

	ok = expect_err(sys_ksm_open(name, O_RDWR | O_TRUNC, 0), EINVAL, "O_TRUNC");
	ok &= expect_err(sys_ksm_open(name, O_RDWR | O_APPEND, 0), EINVAL, "O_APPEND");
	ok &= expect_err(sys_ksm_open(name, O_RDWR | 0x40000000, 0), EINVAL,
			 "unknown flag");
	ok &= expect_err(sys_ksm_open(PREFIX "mode", O_CREAT | O_RDWR, 01600),
			 EINVAL, "mode 01600");
	ok &= expect_err(sys_ksm_open(PREFIX "mode", O_CREAT | O_RDWR, 04600),
			 EINVAL, "mode 04600");
	ok &= !part_exists(PREFIX "mode");
	ksft_test_result(ok, "ksm_open: bad flags or mode -> EINVAL\n");

	fd2 = sys_ksm_open(name, O_RDWR | O_CLOEXEC, 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = readlink(path, buf, sizeof(buf) - 1);
	buf[ret > 0 ? ret : 0] = '\0';
	ok = expect_ret(strcmp(buf, "anon_inode:[ksm_partition]"), 0,
			"ksm_open fd is anon_inode:[ksm_partition]");
	if (!ok)
		ksft_print_msg("fd links to '%s'\n", buf);
	flags = fd2 >= 0 ? fcntl(fd2, F_GETFD) : 0;
	ok &= expect_ret(!!(flags & FD_CLOEXEC), 1, "FD_CLOEXEC with O_CLOEXEC");
	ok &= expect_ret(!!(fcntl(fd, F_GETFD) & FD_CLOEXEC), 0,
			 "no FD_CLOEXEC without O_CLOEXEC");
	if (fd2 >= 0)
		close(fd2);
	ksft_test_result(ok, "ksm_open: an anonymous inode fd, O_CLOEXEC honoured\n");

	old_umask = umask(027);
	fd2 = sys_ksm_open(PREFIX "umask", O_CREAT | O_EXCL | O_RDWR, 0666);
	umask(old_umask);
	ok = fd2 >= 0 && expect_part(PREFIX "umask", "mode", 0640) &&
	     expect_part(PREFIX "umask", "uid", 0) &&
	     expect_part(PREFIX "umask", "gid", 0);
	if (fd2 >= 0)
		close(fd2);
	sys_ksm_unlink(PREFIX "umask");
	ksft_test_result(ok, "ksm_open: mode masked by the umask, owner is the caller\n");

	if (spawn_n(c, 2, 16, 16, KEY(13, 1), 0) ||
	    child_fill(&c[1], 0, 8, 8, KEY(13, 1))) {
		fail_n(NR_SYSCALL - 8, "ksm_merge: setup failed");
		goto out;
	}
	bad = dup(fd);
	close(bad);
	ok = check_range_errors(sys_ksm_merge, "ksm_merge", fd, bad, &c[0]);
	ok &= expect_part3(name, 0, 0, 0);
	ksft_test_result(ok, "ksm_merge: EBADF, EINVAL (range, pid < 0), ESRCH (no process, kthread, zombie)\n");
	ok = check_range_errors(sys_ksm_unmerge, "ksm_unmerge", fd, bad, &c[0]);
	ksft_test_result(ok, "ksm_unmerge: EBADF, EINVAL (range, pid < 0), ESRCH (no process, kthread, zombie)\n");

	/* pid 0: the caller; its first 8 pages equal its last 8 */
	ok = expect_ret(child_cmd(&c[1], CMD_MERGE_SELF, fd, c[1].addr[0], 16 * pagesize, 0),
			16, "ksm_merge(fd, 0, ...) of duplicated pages in the caller");
	ok &= cpfn(&c[1], 0, 0) == cpfn(&c[1], 0, 8) && cpfn(&c[1], 0, 7) == cpfn(&c[1], 0, 15);
	ok &= pages_merged(&c[1], 1, 0, 0, 8);
	ok &= expect_part3(name, 8, 8, 1) && expect_merging(c[1].pid, 16);
	ok &= child_check(&c[1], 0, 0, 8, KEY(13, 1)) &&
	      child_check(&c[1], 0, 8, 8, KEY(13, 1));
	ksft_test_result(ok, "ksm_merge: pid 0 merges the caller, also pages within one process\n");

	ok = expect_err(sys_ksm_unlink(PREFIX "missing"), ENOENT, "ksm_unlink of an unknown name");
	fd2 = sys_ksm_open(PREFIX "unlink", O_CREAT | O_EXCL | O_RDWR, 0600);
	ok &= fd2 >= 0 && part_exists(PREFIX "unlink");
	ok &= expect_ret(sys_ksm_unlink(PREFIX "unlink"), 0, "ksm_unlink") &&
	      !part_exists(PREFIX "unlink");
	if (fd2 >= 0)
		close(fd2);
	ksft_test_result(ok, "ksm_unlink: removes the name, unknown name -> ENOENT\n");

	/* sysfs */
	ok = true;
#define W(file, str, err) do {						\
	snprintf(path, sizeof(path), PART_DIR "/%s/" file, name);	\
	snprintf(msg, sizeof(msg), "%s: '%s'", file, str);		\
	ok &= expect_ret(write_file(path, str), -(err), msg);		\
} while (0)
	/* a write of 0 bytes never reaches sysfs: "\n" is the empty one */
	W("trigger_merge", "\n", EINVAL);
	W("trigger_merge", " ", EINVAL);
	W("trigger_merge", "abc", EINVAL);
	W("trigger_merge", "-1", EINVAL);
	snprintf(buf, sizeof(buf), "%d 0x%lx", c[0].pid, c[0].addr[0]);
	W("trigger_merge", buf, EINVAL);
	snprintf(buf, sizeof(buf), "%d 0x%lx 0x%lx", c[0].pid, c[0].addr[0] + 1,
		 c[0].addr[0] + pagesize);
	W("trigger_merge", buf, EINVAL);
	snprintf(buf, sizeof(buf), "%d 0x%lx 0x%lx", c[0].pid, c[0].addr[0],
		 c[0].addr[0] + pagesize + 1);
	W("trigger_merge", buf, EINVAL);
	snprintf(buf, sizeof(buf), "%d 0x%lx 0x%lx", c[0].pid, c[0].addr[0],
		 c[0].addr[0]);
	W("trigger_merge", buf, EINVAL);
	snprintf(buf, sizeof(buf), "%d 0x%lx 0x%lx", c[0].pid,
		 c[0].addr[0] + pagesize, c[0].addr[0]);
	W("trigger_merge", buf, EINVAL);
	snprintf(buf, sizeof(buf), "%d 0x%lx 0x%lx", c[0].pid, 1UL << 57,
		 (1UL << 57) + pagesize);
	W("trigger_merge", buf, EINVAL);
	snprintf(buf, sizeof(buf), "%d 0x%lx 0x%lx junk", c[0].pid,
		 c[0].addr[0], c[0].addr[0] + pagesize);
	W("trigger_merge", buf, EINVAL);
	snprintf(buf, sizeof(buf), "%d zz yy", c[0].pid);
	W("trigger_unmerge", buf, EINVAL);
	W("trigger_unmerge", "\n", EINVAL);
	ok &= expect_part3(name, 8, 8, 1);
	ksft_test_result(ok, "sysfs: malformed trigger_merge/trigger_unmerge writes -> EINVAL\n");

	ok = true;
	snprintf(buf, sizeof(buf), "%d", dead_pid());
	W("trigger_merge", buf, ESRCH);
	W("trigger_merge", "1073741823", ESRCH);
	if (is_kthreadd(2)) {
		W("trigger_merge", "2", ESRCH);
		W("trigger_unmerge", "2", ESRCH);
	}
	ksft_test_result(ok, "sysfs: trigger for no such process or a kernel thread -> ESRCH\n");

	/* "PID START END" without 0x and without newline, then PID + newline */
	snprintf(buf, sizeof(buf), "%d %lx %lx", c[0].pid, c[0].addr[0],
		 c[0].addr[0] + 16 * pagesize);
	snprintf(path, sizeof(path), PART_DIR "/%s/trigger_merge", name);
	ok = expect_ret(write_file(path, buf), 0, "trigger_merge without 0x and newline");
	ok &= cpfn(&c[0], 0, 0) == cpfn(&c[1], 0, 0);
	ok &= expect_part(name, "members", 2);
	snprintf(buf, sizeof(buf), "%d\n", c[0].pid);
	snprintf(path, sizeof(path), PART_DIR "/%s/trigger_unmerge", name);
	ok &= expect_ret(write_file(path, buf), 0, "trigger_unmerge PID with newline");
	ok &= cpfn(&c[0], 0, 0) != cpfn(&c[1], 0, 0);
	ok &= expect_part(name, "members", 1);
	ksft_test_result(ok, "sysfs: addresses with or without 0x, trailing newline optional\n");
#undef W

	ok = expect_ret(part_add(name), -EEXIST, "add_partition of an existing name");
	ok &= expect_ret(part_add("\n"), -EINVAL, "add_partition of '\\n'");
	ok &= expect_ret(part_add("a/b"), -EINVAL, "add_partition of 'a/b'");
	ok &= expect_ret(part_add(".."), -EINVAL, "add_partition of '..'");
	ok &= expect_ret(part_remove(PREFIX "missing"), -ENOENT,
			 "remove_partition of an unknown name");
	ok &= expect_ret(part_add(PREFIX "nl\n"), 0, "add_partition with newline") &&
	      part_exists(PREFIX "nl") &&
	      expect_ret(part_remove(PREFIX "nl\n"), 0, "remove_partition with newline") &&
	      !part_exists(PREFIX "nl");
	ksft_test_result(ok, "sysfs: add_partition EEXIST/EINVAL, remove_partition ENOENT\n");
	children_stop(c, 2);
out:
	close(fd);
	sys_ksm_unlink(name);
}

/* ---- global knobs and partitions */

#define NR_KNOBS	2
static void test_knobs(void)
{
	const char *name = PREFIX "knobs";
	char old[32] = "", buf[32];
	struct child c[5];
	long pfn[5], chains, dups;
	int fd, i, k, n;
	double end;
	bool ok;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || read_file(KSM_DIR "/max_page_sharing", old, sizeof(old))) {
		fail_n(NR_KNOBS, "knobs: setup failed");
		goto out;
	}
	snprintf(buf, sizeof(buf), "%ld", strtol(old, NULL, 10) + 1);
	ok = expect_ret(ksm_set("max_page_sharing", buf), -EBUSY,
			"max_page_sharing while a partition exists");
	if (!access(KSM_DIR "/merge_across_nodes", F_OK))
		ok &= expect_ret(ksm_set("merge_across_nodes",
					 ksm_get("merge_across_nodes") ? "0" : "1"),
				 -EBUSY, "merge_across_nodes while a partition exists");
	ksft_test_result(ok, "knobs: max_page_sharing and merge_across_nodes -> EBUSY while a partition exists\n");
	close(fd);
	fd = -1;
	sys_ksm_unlink(name);

	/*
	 * max_page_sharing=2, 5 processes: per content, two KSM pages of two
	 * mappings each (a stable node chain of two dups); the third and
	 * fifth process find only full dups and wait in the unstable tree,
	 * where the fourth one finds the third.
	 */
	for (end = now() + 5; now() < end; usleep(20000))
		if (!ksm_set("max_page_sharing", "2"))
			break;
	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (ksm_get("max_page_sharing") != 2 || fd < 0 ||
	    spawn_n(c, 5, 8, 8, KEY(18, 1), 0)) {
		ksft_print_msg("cannot set max_page_sharing=2: %d (global pages_shared %ld)\n",
			       ksm_set("max_page_sharing", "2"),
			       ksm_get("pages_shared"));
		ksft_test_result_fail("knobs: max_page_sharing applies to partitions (setup failed)\n");
		goto out;
	}
	ok = true;
	chains = ksm_get("stable_node_chains");
	dups = ksm_get("stable_node_dups");
	for (i = 0; i < 5; i++)
		ok &= expect_ret(merge(fd, &c[i], 0, 8), i % 2 ? 8 : 0, "ksm_merge");
	ok &= expect_ret(merge(fd, &c[0], 0, 8), 8, "ksm_merge (first again)");
	ok &= expect_ret(ksm_get("stable_node_chains") - chains, 8,
			 "global stable_node_chains increase");
	ok &= expect_ret(ksm_get("stable_node_dups") - dups, 16,
			 "global stable_node_dups increase");
	/* each content: 2 KSM pages and a private one, none mapped > twice */
	for (i = 0; i < 8; i++) {
		int distinct = 0;

		for (k = 0; k < 5; k++) {
			pfn[k] = cpfn(&c[k], 0, i);
			for (n = 0; n < k && pfn[n] != pfn[k]; n++)
				;
			distinct += n == k;
		}
		for (k = 0; k < 5; k++) {
			int users = 0;

			for (n = 0; n < 5; n++)
				users += pfn[n] == pfn[k];
			if (users > 2)
				distinct = -1;
		}
		if (distinct != 3) {
			ksft_print_msg("page %d: %d KSM pages for 5 processes\n",
				       i, distinct);
			ok = false;
		}
	}
	ok &= expect_part3(name, 16, 16, 5);
	for (i = 0; i < 5; i++)
		ok &= child_check(&c[i], 0, 0, 8, KEY(18, 1));
	ksft_test_result(ok, "knobs: max_page_sharing applies to partitions (stable node chains)\n");
	children_stop(c, 5);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
	if (old[0])
		for (end = now() + 5; now() < end; usleep(20000))
			if (!ksm_set("max_page_sharing", old))
				break;
}

/* ---- permissions: an unprivileged process (nobody) */

#define NR_PERM		8
static const char *perm_names[NR_PERM] = {
	"perm: sysfs control and trigger writes refused to an unprivileged user",
	"perm: ksm_open of a root partition with mode 0600 -> EACCES",
	"perm: merging a root process into a 0666 partition -> EPERM",
	"perm: merging its own processes into a 0666 root partition works",
	"perm: a partition created by the user is owned by it and merges its processes",
	"perm: ksm_unlink of root's partition -> EPERM, of its own works",
	"perm: CAP_SYS_ADMIN overrides mode and owner (ksm_open, ksm_unlink)",
	"perm: group bits apply to the group (0620 opens, 0602 -> EACCES)",
};

static bool perm_denied(int ret, const char *what)
{
	if (ret == -EACCES || ret == -EPERM)
		return true;
	ksft_print_msg("%s: expected EACCES or EPERM, got %d\n", what, ret);
	return false;
}

static void perm_child(int res_fd, struct child *root_child)
{
	bool r[NR_PERM] = { false };
	struct child u[4];
	int fd, fdu;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY)) {
		ksft_print_msg("dropping privileges: %s\n", strerror(errno));
		goto out;
	}
	/* ptrace access to its own children needs a dumpable mm */
	prctl(PR_SET_DUMPABLE, 1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);

	r[0] = perm_denied(part_add(PREFIX "user_sysfs"), "add_partition") &&
	       perm_denied(part_remove(PREFIX "root600"), "remove_partition") &&
	       perm_denied(part_trigger(PREFIX "root666", "trigger_merge",
					getpid(), 0, 0), "trigger_merge") &&
	       perm_denied(part_trigger(PREFIX "root666", "trigger_unmerge",
					root_child->pid, 0, 0), "trigger_unmerge") &&
	       !part_exists(PREFIX "user_sysfs") && part_exists(PREFIX "root600");

	r[1] = expect_err(sys_ksm_open(PREFIX "root600", O_RDWR, 0), EACCES,
			  "ksm_open of root's 0600 partition") &&
	       expect_err(sys_ksm_open(PREFIX "root600", O_CREAT | O_RDWR, 0600),
			  EACCES, "ksm_open(O_CREAT) of root's 0600 partition");

	fd = sys_ksm_open(PREFIX "root666", O_RDWR, 0);
	if (fd < 0)
		ksft_print_msg("ksm_open of root's 0666 partition: %s\n",
			       strerror(errno));
	r[2] = fd >= 0 &&
	       expect_err(merge(fd, root_child, 0, 16), EPERM,
			  "ksm_merge of a root process") &&
	       expect_err(sys_ksm_merge(fd, root_child->pid, 0, 0), EPERM,
			  "ksm_merge of a root process (whole)") &&
	       expect_err(sys_ksm_unmerge(fd, root_child->pid, 0, 0), EPERM,
			  "ksm_unmerge of a root process") &&
	       expect_err(sys_ksm_merge(fd, 1, 0, 0), EPERM,
			  "ksm_merge of init");

	if (spawn_n(u, 4, 16, 16, KEY(14, 1), 0))
		goto out;
	r[3] = fd >= 0 &&
	       expect_ret(merge(fd, &u[0], 0, 16), 0, "ksm_merge own process (first)") &&
	       expect_ret(merge(fd, &u[1], 0, 16), 16, "ksm_merge own process (second)") &&
	       expect_merging(u[1].pid, 16) &&
	       expect_ret(unmerge(fd, &u[1], 0, 0, 16), 16, "ksm_unmerge own process");

	fdu = sys_ksm_open(PREFIX "user", O_CREAT | O_EXCL | O_RDWR, 0600);
	r[4] = fdu >= 0 &&
	       expect_part(PREFIX "user", "uid", NOBODY) &&
	       expect_part(PREFIX "user", "gid", NOBODY) &&
	       expect_part(PREFIX "user", "mode", 0600) &&
	       expect_ret(merge(fdu, &u[2], 0, 16), 0, "ksm_merge own (first)") &&
	       expect_ret(merge(fdu, &u[3], 0, 16), 16, "ksm_merge own (second)") &&
	       expect_part3(PREFIX "user", 16, 16, 2);

	fdu = sys_ksm_open(PREFIX "grp0620", O_RDWR, 0);
	r[7] = expect_ret(fdu >= 0, 1, "ksm_open of a 0620 partition of its group");
	if (fdu >= 0)
		close(fdu);
	r[7] &= expect_err(sys_ksm_open(PREFIX "grp0602", O_RDWR, 0), EACCES,
			   "ksm_open of a 0602 partition of its group");

	/* left for root to open and unlink */
	fdu = sys_ksm_open(PREFIX "user2", O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fdu >= 0)
		close(fdu);
	r[6] = fdu >= 0;

	r[5] = expect_err(sys_ksm_unlink(PREFIX "root600"), EPERM,
			  "ksm_unlink of root's partition") &&
	       part_exists(PREFIX "root600") &&
	       expect_ret(sys_ksm_unlink(PREFIX "user"), 0, "ksm_unlink own") &&
	       !part_exists(PREFIX "user");
	children_stop(u, 4);
out:
	if (write(res_fd, r, sizeof(r)) != sizeof(r))
		_exit(1);
	fflush(stdout);
	_exit(0);
}

static void test_perm(void)
{
	bool r[NR_PERM] = { false };
	struct child root_child;
	mode_t old_umask;
	int res[2], fd, i;
	pid_t pid;

	old_umask = umask(0);
	fd = sys_ksm_open(PREFIX "root666", O_CREAT | O_EXCL | O_RDWR, 0666);
	/* owned by root and group nobody */
	if (!setegid(NOBODY)) {
		close(sys_ksm_open(PREFIX "grp0620", O_CREAT | O_EXCL | O_RDWR, 0620));
		close(sys_ksm_open(PREFIX "grp0602", O_CREAT | O_EXCL | O_RDWR, 0602));
		if (setegid(0))
			ksft_exit_fail_msg("setegid(0): %s\n", strerror(errno));
	}
	umask(old_umask);
	if (!expect_part(PREFIX "grp0620", "gid", NOBODY) ||
	    !expect_part(PREFIX "grp0602", "mode", 0602))
		ksft_print_msg("group partitions not set up\n");
	if (fd < 0 || part_add(PREFIX "root600") ||
	    spawn(&root_child, 16, 16, KEY(14, 1), 0) || pipe(res)) {
		for (i = 0; i < NR_PERM; i++)
			ksft_test_result_fail("%s (setup failed)\n", perm_names[i]);
		goto out;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(res[0]);
		perm_child(res[1], &root_child);
	}
	close(res[1]);
	if (pid > 0) {
		register_pid(pid);
		if (read_full(res[0], r, sizeof(r)) != sizeof(r))
			memset(r, 0, sizeof(r));
		waitpid(pid, NULL, 0);
		unregister_pid(pid);
	}
	close(res[0]);
	/* root opens and unlinks the user's 0600 partition */
	if (r[6]) {
		int fdu = sys_ksm_open(PREFIX "user2", O_RDWR, 0);

		r[6] = expect_ret(fdu >= 0, 1, "root ksm_open of a user's 0600 partition") &&
		       expect_part(PREFIX "user2", "uid", NOBODY) &&
		       expect_ret(sys_ksm_unlink(PREFIX "user2"), 0,
				  "root ksm_unlink of a user's partition");
		if (fdu >= 0)
			close(fdu);
	}
	/* root's process must not have been touched */
	if (!expect_merging(root_child.pid, 0) ||
	    !child_check(&root_child, 0, 0, 16, KEY(14, 1)))
		r[2] = false;
	for (i = 0; i < NR_PERM; i++)
		ksft_test_result(r[i], "%s\n", perm_names[i]);
	child_stop(&root_child);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(PREFIX "root666");
	part_remove(PREFIX "root600");
	sys_ksm_unlink(PREFIX "user");
	sys_ksm_unlink(PREFIX "user2");
	sys_ksm_unlink(PREFIX "grp0620");
	sys_ksm_unlink(PREFIX "grp0602");
}

/* ---- writes racing with merges */

#define NR_RACE		1
static void test_race(void)
{
	const char *name = PREFIX "race";
	unsigned long key = KEY(15, 1);
	long merged = 0, calls = 0, ret, lost;
	struct child c[2];
	struct cmd cmd;
	struct pollfd pfd;
	bool ok;
	int fd;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 2, 64, 64, key, 0)) {
		fail_n(NR_RACE, "race: setup failed");
		goto out;
	}
	merge(fd, &c[0], 0, 64);
	/* c1 writes for 2 s while we keep merging it */
	cmd = (struct cmd){ .op = CMD_RACE, .a = c[1].addr[0], .b = 64,
			    .c = key, .d = 2000 };
	if (write(c[1].cmd_fd, &cmd, sizeof(cmd)) != sizeof(cmd)) {
		fail_n(NR_RACE, "race: helper child gone");
		goto out_stop;
	}
	pfd = (struct pollfd){ .fd = c[1].resp_fd, .events = POLLIN };
	while (poll(&pfd, 1, 0) == 0) {
		ret = merge(fd, &c[1], 0, 64);
		if (ret < 0) {
			ksft_print_msg("ksm_merge during writes: %s\n", strerror(errno));
			break;
		}
		merged += ret;
		calls++;
	}
	if (read_full(c[1].resp_fd, &lost, sizeof(lost)) != sizeof(lost))
		lost = -1;
	ksft_print_msg("%ld merge calls merged %ld pages during the writes, %ld writes lost\n",
		       calls, merged, lost);
	ok = lost == 0 && merged > 0;
	ok &= child_check(&c[1], 0, 0, 64, key) && child_check(&c[0], 0, 0, 64, key);
	ksft_test_result(ok, "race: writes during merges are never lost\n");
out_stop:
	children_stop(c, 2);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

/* ---- a merge interrupted by a fatal signal, a target exiting mid-merge */

/* fork a process that merges c's region of np pages; -> its pid */
static pid_t start_merger(int fd, struct child *c, size_t np)
{
	int sync[2];
	pid_t pid;
	char ch;

	if (pipe(sync))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sync[0]);
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		merge(fd, c, 0, np);
		_exit(0);
	}
	close(sync[1]);
	if (pid > 0 && read(sync[0], &ch, 1) != 1)
		pid = -1;
	close(sync[0]);
	return pid;
}

#define NR_INTR		2
static void test_interrupt(void)
{
	const char *name = PREFIX "intr";
	const size_t np = 8192;
	unsigned long key = KEY(19, 1);
	struct child c[3];
	pid_t merger;
	bool ok;
	int fd;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 3, np, np, key, 0)) {
		fail_n(NR_INTR, "interrupt: setup failed");
		goto out;
	}
	merge(fd, &c[0], 0, np);

	/* SIGKILL the caller in the middle of a merge */
	merger = start_merger(fd, &c[1], np);
	usleep(20000);
	if (merger > 0) {
		kill(merger, SIGKILL);
		waitpid(merger, NULL, 0);
	}
	ksft_print_msg("killed merge left %ld pages shared\n",
		       part_get(name, "pages_sharing"));
	ok = merger > 0;
	ok &= child_check(&c[1], 0, 0, np, key) && child_check(&c[0], 0, 0, np, key);
	/* partial work is valid: a second call completes it */
	ok &= expect_ret(merge(fd, &c[1], 0, np), np, "ksm_merge after a killed one");
	ok &= pages_merged(c, 2, 0, 0, np) && expect_part3(name, np, np, 2);
	ksft_test_result(ok, "interrupt: a merge killed by SIGKILL leaves valid, completable state\n");

	/* the target exits in the middle of a merge */
	merger = start_merger(fd, &c[2], np);
	usleep(20000);
	child_stop(&c[2]);
	if (merger > 0)
		waitpid(merger, NULL, 0);
	ok = merger > 0 && expect_part3(name, np, np, 2);
	ok &= child_check(&c[0], 0, 0, np, key) && child_check(&c[1], 0, 0, np, key);
	ok &= expect_ret(sys_ksm_unmerge(fd, c[1].pid, 0, 0), np, "ksm_unmerge all of c1");
	ok &= expect_ret(sys_ksm_unmerge(fd, c[0].pid, 0, 0), np, "ksm_unmerge all of c0");
	ok &= expect_part3(name, 0, 0, 0) && expect_part(name, "pages_unshared", 0);
	ksft_test_result(ok, "interrupt: a target exiting during a merge leaves nothing behind\n");
	children_stop(c, 3);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

/* ---- unmapping or moving merged memory */

#define NR_UNMAP	3
static void test_unmap(void)
{
	const char *name = PREFIX "unmap";
	unsigned long key = KEY(20, 1), to;
	struct child c[3];
	double end;
	bool ok;
	int fd, i;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 3, 32, 32, key, 0)) {
		fail_n(NR_UNMAP, "unmap: setup failed");
		goto out;
	}
	for (i = 0; i < 3; i++)
		merge(fd, &c[i], 0, 32);
	if (!expect_part3(name, 32, 64, 3)) {
		fail_n(NR_UNMAP, "unmap: pages not merged");
		goto out_stop;
	}

	/* c1 unmaps its last 16 pages */
	ok = !child_cmd(&c[1], CMD_MUNMAP, c[1].addr[0] + 16 * pagesize,
			16 * pagesize, 0, 0);
	ok &= expect_part3(name, 32, 48, 3);
	ok &= expect_merging(c[1].pid, 16);
	ksft_test_result(ok, "unmap: counters exact right after munmap() of merged pages\n");

	/* c2 moves its first 16 pages (growing them by one forces a move) */
	to = child_cmd(&c[2], CMD_MREMAP, c[2].addr[0], 16 * pagesize, 0, 0);
	ok = (long)to > 0 && to != c[2].addr[0];
	c[2].addr[1] = to;
	ok = ok && child_check(&c[2], 1, 0, 16, key) &&
	     child_check(&c[2], 0, 16, 16, key + 16);
	ok &= child_check(&c[0], 0, 0, 32, key);
	ksft_test_result(ok, "unmap: mremap() of merged pages keeps their content\n");

	/* merging the old and the new place makes the counters exact */
	ok = expect_ret(merge(fd, &c[2], 0, 32), 16, "ksm_merge of the old range");
	ok &= expect_ret(merge(fd, &c[2], 1, 16), 16, "ksm_merge of the moved range");
	ok &= cpfn(&c[2], 1, 0) == cpfn(&c[0], 0, 0) &&
	      cpfn(&c[2], 1, 15) == cpfn(&c[0], 0, 15) &&
	      cpfn(&c[2], 0, 31) == cpfn(&c[0], 0, 31);
	ok &= expect_merging(c[2].pid, 32);
	ok &= expect_ret(merge(fd, &c[1], 0, 32), 16, "ksm_merge of the unmapper");
	ok &= expect_part3(name, 32, 48, 3);
	children_stop(c, 3);
	for (end = now() + 10; now() < end; usleep(50000))
		if (!part_get(name, "pages_shared") && !part_get(name, "members"))
			break;
	ok &= expect_part3(name, 0, 0, 0);
	ksft_test_result(ok, "unmap: moved pages merge again and leave nothing behind\n");
out_stop:
	children_stop(c, 3);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

/* ---- concurrent merges into one partition */

#define NR_CONC		1
static void test_concurrent(void)
{
	const char *name = PREFIX "conc";
	const size_t np = 2048;
	unsigned long key = KEY(21, 1);
	struct child c[4];
	pid_t m[3];
	bool ok = true;
	int fd, i;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 4, np, np, key, 0)) {
		fail_n(NR_CONC, "concurrent: setup failed");
		goto out;
	}
	merge(fd, &c[0], 0, np);
	for (i = 0; i < 3; i++)
		m[i] = start_merger(fd, &c[i + 1], np);
	for (i = 0; i < 3; i++) {
		int status = -1;

		ok &= m[i] > 0 && waitpid(m[i], &status, 0) == m[i] &&
		      WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	ok &= pages_merged(c, 4, 0, 0, np);
	ok &= expect_part3(name, np, 3 * np, 4);
	for (i = 0; i < 4; i++)
		ok &= expect_merging(c[i].pid, np) && child_check(&c[i], 0, 0, np, key);
	ksft_test_result(ok, "concurrent: three merges into one partition at once give the exact result\n");
	children_stop(c, 4);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

/* ---- merges into two partitions run in parallel */

#define NR_PARALLEL	1
static void test_parallel(void)
{
	const char *a = PREFIX "par_a", *b = PREFIX "par_b";
	const size_t big = 8192;
	double *t, small_start, small_end;
	struct child c[3];
	int fa, fb, sync[2] = { -1, -1 };
	pid_t merger = -1;
	char ch;
	long ret;
	bool ok;

	t = mmap(NULL, pagesize, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fa = sys_ksm_open(a, O_CREAT | O_RDWR, 0600);
	fb = sys_ksm_open(b, O_CREAT | O_RDWR, 0600);
	if (t == MAP_FAILED || fa < 0 || fb < 0 || pipe(sync) ||
	    spawn(&c[0], big, 0, 0, KEY(16, 1)) ||
	    spawn_n(&c[1], 2, 16, 16, KEY(16, 2), 0)) {
		fail_n(NR_PARALLEL, "parallel: setup failed");
		goto out;
	}
	merge(fb, &c[1], 0, 16);
	fflush(stdout);
	merger = fork();
	if (merger == 0) {
		close(sync[0]);
		if (write(sync[1], "x", 1) != 1)
			_exit(1);
		t[0] = now();
		ret = merge(fa, &c[0], 0, big);
		t[1] = now();
		t[2] = ret;
		_exit(0);
	}
	close(sync[1]);
	sync[1] = -1;
	if (merger < 0 || read(sync[0], &ch, 1) != 1) {
		fail_n(NR_PARALLEL, "parallel: merger process failed");
		goto out_stop;
	}
	usleep(20000);
	small_start = now();
	ret = merge(fb, &c[2], 0, 16);
	small_end = now();
	waitpid(merger, NULL, 0);
	merger = -1;
	ksft_print_msg("merge of %zu pages into A: %.3f s; merge of 16 pages into B: %.3f s, started %.3f s after A\n",
		       big, t[1] - t[0], small_end - small_start,
		       small_start - t[0]);
	if (small_start >= t[1]) {
		ksft_test_result_skip("parallel: merges into two partitions run concurrently (big merge too fast)\n");
		goto out_stop;
	}
	ok = expect_ret(ret, 16, "ksm_merge into B");
	ok &= expect_ret((long)t[2], 0, "ksm_merge into A");
	/* with a global lock the small merge would end when the big one ends */
	if (small_end + (t[1] - t[0]) / 10 >= t[1]) {
		ksft_print_msg("the merge into B waited for the merge into A\n");
		ok = false;
	}
	ksft_test_result(ok, "parallel: merges into two partitions run concurrently\n");
out_stop:
	if (merger > 0)
		waitpid(merger, NULL, 0);
	children_stop(c, 3);
out:
	if (sync[0] >= 0)
		close(sync[0]);
	if (sync[1] >= 0)
		close(sync[1]);
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	sys_ksm_unlink(a);
	sys_ksm_unlink(b);
	if (t != MAP_FAILED)
		munmap(t, pagesize);
}

/* ---- 4 processes, 90% of the pages identical across them */

#define NR_BIG		1
static void test_big(void)
{
	const char *name = PREFIX "big";
	size_t np = big_mib * 1024 * 1024 / pagesize, ns = np - np / 10;
	long ret[4], sharing;
	struct child c[4];
	double t0, t;
	bool ok = true;
	int fd, i;

	fd = sys_ksm_open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || spawn_n(c, 4, np, ns, KEY(17, 1), KEY(17, 2))) {
		fail_n(NR_BIG, "big: setup failed");
		goto out;
	}
	t0 = now();
	for (i = 0; i < 4; i++) {
		t = now();
		ret[i] = merge(fd, &c[i], 0, np);
		ksft_print_msg("merge %d: %ld pages in %.2f s\n", i, ret[i], now() - t);
		ok &= ret[i] >= 0;
	}
	sharing = part_get(name, "pages_sharing");
	ksft_print_msg("4 x %lu MiB: pages_sharing %ld of %zu achievable (%.2f%%) in %.2f s\n",
		       big_mib, sharing, 3 * ns, 100.0 * sharing / (3 * ns),
		       now() - t0);
	ok &= sharing * 100 >= (long)(3 * ns) * 99 && sharing <= (long)(3 * ns);
	ok &= part_get(name, "pages_shared") <= (long)ns;
	ksft_test_result(ok, "big: one merge call per process, 4 x %lu MiB, reaches >= 99%% of the achievable pages_sharing\n",
			 big_mib);
	children_stop(c, 4);
out:
	if (fd >= 0)
		close(fd);
	sys_ksm_unlink(name);
}

/* ---- the kernel log */

#define NR_KMSG		1
static void test_kmsg(void)
{
	static const char * const bad[] = {
		"WARNING:", "BUG:", "BUG ", "Oops", "soft lockup",
		"blocked for more than", "general protection", "corruption",
		"refcount_t", "Bad page", "bad page", "RCU stall",
	};
	char buf[8192];
	bool ok = true;
	ssize_t n;
	size_t i;

	if (kmsg_fd < 0) {
		ksft_test_result_skip("kernel log: no warnings during the test (no /dev/kmsg)\n");
		return;
	}
	for (;;) {
		n = read(kmsg_fd, buf, sizeof(buf) - 1);
		if (n < 0 && errno == EPIPE)
			continue;
		if (n <= 0)
			break;
		buf[n] = '\0';
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(buf, bad[i])) {
				ksft_print_msg("kernel: %s", strchr(buf, ';') ? strchr(buf, ';') + 1 : buf);
				ok = false;
				break;
			}
	}
	ksft_test_result(ok, "kernel log: no warnings, BUGs or lockups during the test\n");
}

/* ------------------------------------------------------------ main */

static char saved_use_zero[16];

static pid_t main_pid;

static void cleanup(void)
{
	int i;

	/* a helper child exiting through ksft_exit_*() */
	if (getpid() != main_pid)
		return;

	for (i = 0; i < MAX_CHILDREN; i++)
		if (child_pids[i] > 0) {
			kill(child_pids[i], SIGKILL);
			waitpid(child_pids[i], NULL, 0);
			child_pids[i] = 0;
		}
	remove_test_partitions();
	restore_ksmd(true);
	if (saved_use_zero[0])
		ksm_set("use_zero_pages", saved_use_zero);
}

static void on_signal(int sig)
{
	exit(KSFT_FAIL);
}

static unsigned long get_zero_pfn(void)
{
	unsigned long pfn;
	char *p;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY);
	p = mmap(NULL, pagesize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || p == MAP_FAILED)
		ksft_exit_fail_msg("pagemap or mmap: %s\n", strerror(errno));
	(void)*(volatile char *)p;
	pfn = pagemap_get_pfn(fd, p);
	munmap(p, pagesize);
	close(fd);
	return pfn;
}

static const struct {
	void (*fn)(void);
	int nr;
} tests[] = {
	{ test_merge_syscall,	NR_MERGE },
	{ test_sysfs,		NR_SYSFS },
	{ test_range,		NR_RANGE },
	{ test_skip,		NR_SKIP },
	{ test_thp,		NR_THP },
	{ test_isolation,	NR_ISO },
	{ test_global,		NR_GLOBAL },
	{ test_zero,		NR_ZERO },
	{ test_cow,		NR_COW },
	{ test_unmerge,		NR_UNMERGE },
	{ test_busy,		NR_BUSY },
	{ test_lifetime,	NR_LIFE },
	{ test_exit,		NR_EXIT },
	{ test_syscalls,	NR_SYSCALL },
	{ test_knobs,		NR_KNOBS },
	{ test_perm,		NR_PERM },
	{ test_race,		NR_RACE },
	{ test_interrupt,	NR_INTR },
	{ test_unmap,		NR_UNMAP },
	{ test_concurrent,	NR_CONC },
	{ test_parallel,	NR_PARALLEL },
	{ test_big,		NR_BIG },
	{ test_kmsg,		NR_KMSG },
};

int main(int argc, char **argv)
{
	unsigned int plan = 0, i;
	int opt;

	if (argc == 5 && !strcmp(argv[1], EXEC_CHILD))
		return exec_child_main(argv);

	while ((opt = getopt(argc, argv, "b:h")) != -1) {
		switch (opt) {
		case 'b':
			big_mib = strtoul(optarg, NULL, 0);
			if (!big_mib)
				big_mib = 16;
			break;
		default:
			printf("usage: %s [-b MIB]\n"
			       "  -b MIB  memory per process of the 4-process merge (default 16)\n",
			       argv[0]);
			return opt == 'h' ? KSFT_PASS : KSFT_FAIL;
		}
	}

	ksft_print_header();
	if (access(PART_DIR, F_OK))
		ksft_exit_skip("%s missing: no CONFIG_SELECTIVE_KSM\n", PART_DIR);
	if (geteuid())
		ksft_exit_skip("must be run as root\n");
	pagesize = getpagesize();
	for (i = 0; i < ARRAY_SIZE(tests); i++)
		plan += tests[i].nr;
	ksft_set_plan(plan);

	setvbuf(stdout, NULL, _IOLBF, 0);
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	save_ksmd();
	read_file(KSM_DIR "/use_zero_pages", saved_use_zero, sizeof(saved_use_zero));
	main_pid = getpid();
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	remove_test_partitions();
	if (ksm_get("run") != 0) {
		ksft_print_msg("stopping ksmd (run was %ld) for the test\n",
			       ksm_get("run"));
		ksm_set("run", "0");
	}
	zero_pfn = get_zero_pfn();

	for (i = 0; i < ARRAY_SIZE(tests); i++)
		tests[i].fn();

	cleanup();
	ksft_finished();
}
