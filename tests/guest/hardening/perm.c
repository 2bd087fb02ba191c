// SPDX-License-Identifier: GPL-2.0
/*
 * perm: the permission model of doc/interface.md, exercised by two
 * unprivileged users (uid/gid 1000 and 1001, no supplementary groups,
 * no capabilities) after root set up partitions and victim processes.
 * Complements the ksm_partition kselftest's "perm:" tests (user nobody):
 * here every writable sysfs file is tried, also on a partition the user
 * owns, unmerge of another user's merged process is refused and leaves its
 * pages merged, a user's partition is closed to another user, and merging
 * is proven by PFNs (read by root from /proc/PID/pagemap).
 */
#include "hardening.h"
#include <grp.h>
#include <sys/prctl.h>

#define PR_SET_KSM_PARTITION_ 0x4b534d50

#define U1 1000
#define U2 1001
#define NP 16

static int res_pipe[2];

/* In a child: one result line "0|1 text" to the parent. */
static void crow(bool ok, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%d ", ok);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(res_pipe[1], line, n) != n)
		_exit(3);
}

static void drop_to(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid)) {
		printf("# dropping to uid %d: %s\n", uid, strerror(errno));
		_exit(2);
	}
	/* ptrace-attach to its own processes needs a dumpable mm */
	prctl(PR_SET_DUMPABLE, 1);
}

static bool denied(long ret, int e, const char *what)
{
	if (ret == -1 && (e == EACCES || e == EPERM))
		return true;
	printf("# %s: expected EACCES or EPERM, got %ld (%s)\n", what, ret,
	       ret == -1 ? strerror(e) : "-");
	return false;
}

static bool is_err(long ret, int e, int want, const char *what)
{
	if (ret == -1 && e == want)
		return true;
	printf("# %s: expected %s, got %ld (%s)\n", what, strerrorname_np(want), ret,
	       ret == -1 ? strerror(e) : "-");
	return false;
}

/* A process of UID with NP pages filled with BYTE; its address comes back. */
struct victim {
	pid_t pid;
	unsigned long addr;
};

static struct victim victim(uid_t uid, int byte)
{
	struct victim v = { 0, 0 };
	int p[2];

	if (pipe(p))
		return v;
	fflush(stdout);
	v.pid = fork();
	if (v.pid == 0) {
		char *m;

		close(p[0]);
		if (uid)
			drop_to(uid);
		m = mmap(NULL, NP * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(m, byte, NP * psz);
		v.addr = (unsigned long)m;
		if (write(p[1], &v.addr, sizeof(v.addr)) != sizeof(v.addr))
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &v.addr, sizeof(v.addr)) != sizeof(v.addr))
		v.addr = 0;
	close(p[0]);
	return v;
}

static bool merged(struct victim *v, int n, size_t from, size_t to)
{
	unsigned long f = pid_pfn(v[0].pid, (void *)v[0].addr);

	for (int i = 0; i < n; i++)
		for (size_t j = from; j < to; j++)
			if (!f || pid_pfn(v[i].pid, (void *)(v[i].addr + j * psz)) != f)
				return false;
	return true;
}

static bool private_pages(struct victim *v)
{
	unsigned long f[NP];

	for (int j = 0; j < NP; j++) {
		f[j] = pid_pfn(v->pid, (void *)(v->addr + j * psz));
		for (int k = 0; k < j; k++)
			if (!f[j] || f[j] == f[k])
				return false;
	}
	return true;
}

/* Run FN as UID in a child; its result lines become TAP rows. */
static void run_as(uid_t uid, void (*fn)(void *), void *arg)
{
	char buf[65536], *line, *save;
	ssize_t n, len = 0;
	pid_t p;
	int st;

	if (pipe(res_pipe))
		return;
	fflush(stdout);
	p = fork();
	if (p == 0) {
		close(res_pipe[0]);
		drop_to(uid);
		fn(arg);
		fflush(stdout);
		_exit(0);
	}
	close(res_pipe[1]);
	while ((n = read(res_pipe[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(res_pipe[0]);
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		tap_result(false, "uid %d: worker exited with status 0x%x", uid, st);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		tap_result(line[0] == '1', "uid %d: %s", uid, line + 2);
	kmsg_check();
}

/* ---------------------------------------------------------- scenario */
static struct victim vroot[2], v2[2];
static unsigned long u1_addr;
static pid_t u1_pid;

static void user1(void *arg)
{
	static const char *const files[] = {
		CTRL_DIR "/add_partition", CTRL_DIR "/remove_partition",
		PART_DIR "/hp_602/trigger_merge", PART_DIR "/hp_602/trigger_unmerge",
		PART_DIR "/hp_u1/trigger_merge", PART_DIR "/hp_u1/trigger_unmerge",
		KSM_SYSFS "/run", KSM_SYSFS "/pages_to_scan", KSM_SYSFS "/use_zero_pages",
		KSM_SYSFS "/max_page_sharing", NULL };
	char buf[128], what[256];
	long r;
	int e, fd, fdu;
	bool ok;
	char *m;

	/* its own partition first (so that hp_u1's sysfs files exist) */
	umask(022);
	fdu = sys_open("hp_u1", O_CREAT | O_EXCL | O_RDWR, 0600);
	crow(fdu >= 0 && part_counter("hp_u1", "uid") == U1 && part_counter("hp_u1", "mode") == 0600,
	     "ksm_open(O_CREAT) creates a partition it owns (uid %ld, mode %lo)",
	     part_counter("hp_u1", "uid"), part_counter("hp_u1", "mode"));

	for (const char *const *f = files; *f; f++) {
		snprintf(buf, sizeof(buf), "%d\n", getpid());
		r = wr_str(*f, strstr(*f, "partition") && !strstr(*f, "control") ? buf : "1");
		snprintf(what, sizeof(what), "write to %s", strstr(*f, "ksm/") + 4);
		errno = -r;
		crow(denied(r ? -1 : 0, errno, what), "%s refused (EACCES/EPERM)", what);
	}
	ok = part_counter("hp_602", "pages_shared") >= 0 && ksm_read_ulong("pages_shared") != (unsigned long)-1;
	crow(ok, "counters are readable (partition/NAME/pages_shared, pages_shared)");

	errno = 0;
	r = sys_open("hp_600", O_RDWR, 0);
	crow(is_err(r, errno, EACCES, "open 0600"), "ksm_open of root's 0600 partition -> EACCES");
	r = sys_open("hp_604", O_RDWR, 0);
	crow(is_err(r, errno, EACCES, "open 0604"), "ksm_open of root's 0604 partition (read only) -> EACCES");
	r = sys_open("hp_660", O_RDWR, 0);
	crow(is_err(r, errno, EACCES, "open 0660"), "ksm_open of root's 0660 partition (not in its group) -> EACCES");
	r = sys_open("hp_600", O_RDONLY, 0);
	crow(is_err(r, errno, EACCES, "open 0600 O_RDONLY"), "ksm_open(O_RDONLY) of root's 0600 partition -> EACCES (opening means merging)");
	r = sys_unlink("hp_602");
	crow(is_err(r, errno, EPERM, "unlink"), "ksm_unlink of root's partition -> EPERM");

	fd = sys_open("hp_602", O_RDWR, 0);
	crow(fd >= 0, "ksm_open of root's 0602 partition works");

	r = sys_merge(fd, vroot[0].pid, 0, 0);
	e = errno;
	crow(is_err(r, e, EPERM, "merge root"), "ksm_merge of a root process -> EPERM");
	r = sys_merge(fd, v2[0].pid, 0, 0);
	e = errno;
	crow(is_err(r, e, EPERM, "merge uid 1001"), "ksm_merge of a uid %d process -> EPERM", U2);
	r = sys_unmerge(fd, v2[1].pid, 0, 0);
	e = errno;
	crow(is_err(r, e, EPERM, "unmerge uid 1001"), "ksm_unmerge of a merged uid %d process -> EPERM", U2);
	r = sys_unmerge(fd, vroot[1].pid, 0, 0);
	e = errno;
	crow(is_err(r, e, EPERM, "unmerge root"), "ksm_unmerge of a merged root process -> EPERM");
	r = sys_merge(fdu, 1, 0, 0);
	e = errno;
	crow(is_err(r, e, EPERM, "merge init"), "ksm_merge of init (pid 1) into its own partition -> EPERM");

	/* its own memory: NP identical pages, merged by pid 0 */
	m = mmap(NULL, NP * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 0x3c, NP * psz);
	r = sys_merge(fd, 0, (unsigned long)m, NP * psz);
	crow(r == NP, "ksm_merge of its own pages into root's 0602 partition returns %ld (want %d)", r, NP);
	/* tell root where they are; it checks the PFNs once this worker is paused */
	u1_addr = (unsigned long)m;
	snprintf(buf, sizeof(buf), "ADDR %d %lx", getpid(), u1_addr);
	crow(true, "%s", buf);
	raise(SIGSTOP);
	r = sys_unmerge(fd, 0, (unsigned long)m, NP * psz);
	crow(r == NP, "ksm_unmerge of its own pages returns %ld (want %d)", r, NP);
	close(fd);
	if (fdu >= 0)
		close(fdu);
}

static void user2(void *arg)
{
	long r;
	int e;

	errno = 0;
	r = sys_open("hp_u1", O_RDWR, 0);
	e = errno;
	crow(is_err(r, e, EACCES, "open u1"), "ksm_open of uid %d's 0600 partition -> EACCES", U1);
	r = sys_unlink("hp_u1");
	e = errno;
	crow(is_err(r, e, EPERM, "unlink u1"), "ksm_unlink of uid %d's partition -> EPERM", U1);
	r = wr_str(CTRL_DIR "/remove_partition", "hp_u1");
	crow(r == -EACCES || r == -EPERM, "remove_partition of uid %d's partition refused (%ld)", U1, r);

	/* background scanning is root's; joining needs only an open partition fd */
	if (access("/sys/kernel/mm/ksm/partition/hp_666/run", F_OK) == 0) {
		long r1 = wr_str("/sys/kernel/mm/ksm/partition/hp_666/run", "1");
		long r2 = wr_str("/sys/kernel/mm/ksm/partition/hp_666/pages_to_scan", "5");
		long r3 = wr_str("/sys/kernel/mm/ksm/partition/hp_666/sleep_millisecs", "0");
		int fd;

		crow((r1 == -EACCES || r1 == -EPERM) && (r2 == -EACCES || r2 == -EPERM) &&
		     (r3 == -EACCES || r3 == -EPERM),
		     "partition run, pages_to_scan, sleep_millisecs refused (%ld %ld %ld)", r1, r2, r3);
		fd = sys_open("hp_666", O_RDWR, 0);
		r = prctl(PR_SET_KSM_PARTITION_, fd, 0, 0, 0);
		e = errno;
		crow(fd >= 0 && r == 0, "joins root's 0666 partition it may open (%ld %s)", r, r ? strerror(e) : "");
		r = prctl(PR_SET_KSM_PARTITION_, -1L, 0, 0, 0);
		crow(r == 0, "and leaves it (%ld)", r);
		if (fd >= 0)
			close(fd);
	}
}

int main(void)
{
	static const char *const parts[] = { "hp_600", "hp_602", "hp_604", "hp_660", "hp_666", "hp_u1", NULL };
	static const int modes[] = { 0600, 0602, 0604, 0660, 0666 };
	int fds[5], fd666;
	bool ok;

	psz = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	tap_header();
	if (!ksm_partitions_supported()) {
		printf("1..0 # SKIP no KSM partitions in this kernel\n");
		return KSFT_SKIP;
	}
	if (geteuid()) {
		printf("1..0 # SKIP needs root to set up\n");
		return KSFT_SKIP;
	}
	kmsg_open();
	for (const char *const *p = parts; *p; p++)
		sys_unlink(*p);
	umask(0);
	for (int i = 0; i < 5; i++) {
		fds[i] = sys_open(parts[i], O_CREAT | O_EXCL | O_RDWR, modes[i]);
		if (fds[i] < 0) {
			printf("# setup: ksm_open(%s): %s\n", parts[i], strerror(errno));
			return 1;
		}
	}
	fd666 = fds[4];
	/* victims: two root processes and two of uid 1001, each pair merged in hp_666 */
	vroot[0] = victim(0, 0x71);
	vroot[1] = victim(0, 0x71);
	v2[0] = victim(U2, 0x72);
	v2[1] = victim(U2, 0x72);
	ok = sys_merge(fd666, vroot[0].pid, 0, 0) >= 0 && sys_merge(fd666, vroot[1].pid, 0, 0) >= 0 &&
	     sys_merge(fd666, v2[1].pid, 0, 0) >= 0;
	ok &= merged(vroot, 2, 0, NP) && private_pages(&v2[0]);
	tap_result(ok, "setup: root merged two root victims (shared PFNs) and one uid %d victim", U2);

	/* user 1: stopped (SIGSTOP) after merging its own pages: check PFNs */
	if (pipe(res_pipe))
		return 1;
	fflush(stdout);
	u1_pid = fork();
	if (u1_pid == 0) {
		close(res_pipe[0]);
		drop_to(U1);
		user1(NULL);
		_exit(0);
	}
	close(res_pipe[1]);
	{
		char buf[65536], *line, *save;
		ssize_t n, len = 0;
		int st;
		bool pfn_ok = false, seen = false;

		while ((n = read(res_pipe[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
			len += n;
			buf[len] = '\0';
			if (!seen && strstr(buf, "ADDR ")) {
				struct victim me;

				seen = true;
				waitpid(u1_pid, &st, WUNTRACED);
				sscanf(strstr(buf, "ADDR ") + 5, "%d %lx", &me.pid, &me.addr);
				pfn_ok = merged(&me, 1, 0, NP) &&
					 part_counter("hp_602", "pages_sharing") == NP - 1 &&
					 part_counter("hp_602", "members") == 1;
				kill(u1_pid, SIGCONT);
			}
		}
		close(res_pipe[0]);
		waitpid(u1_pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			tap_result(false, "uid %d: worker exited with status 0x%x", U1, st);
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (!strstr(line, "ADDR "))
				tap_result(line[0] == '1', "uid %d: %s", U1, line + 2);
		tap_result(pfn_ok, "uid %d: its %d pages share one PFN in hp_602 (pagemap, pages_sharing %d, 1 member)",
			   U1, NP, NP - 1);
	}
	kmsg_check();

	run_as(U2, user2, NULL);

	/* nothing the users did changed the victims */
	ok = merged(vroot, 2, 0, NP) && merged(&v2[1], 1, 0, NP) && private_pages(&v2[0]);
	ok &= part_counter("hp_666", "members") == 3;
	tap_result(ok, "victims unchanged: root pair and uid %d victim still merged, the other private", U2);
	ok = part_exists("hp_u1") && part_exists("hp_602") && part_counter("hp_602", "pages_shared") == 0;
	tap_result(ok, "partitions still there; hp_602 empty after the user's unmerge");
	tap_result(kmsg_check() == 0, "kernel log clean");

	kill(vroot[0].pid, SIGKILL);
	kill(vroot[1].pid, SIGKILL);
	kill(v2[0].pid, SIGKILL);
	kill(v2[1].pid, SIGKILL);
	while (wait(NULL) > 0)
		;
	for (int i = 0; i < 5; i++)
		close(fds[i]);
	for (const char *const *p = parts; *p; p++)
		sys_unlink(*p);
	return tap_finish();
}
