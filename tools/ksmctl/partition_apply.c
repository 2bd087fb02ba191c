// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ksmctl partition apply [FILE] [--dry-run]: make the partitions of a
 * configuration file (default /etc/ksm/partitions.conf) exist with their
 * owner, group, mode and background scan settings, at boot
 * (ksm-partitions.service) and on reload.
 *
 *   [partition NAME]
 *   owner = USER|UID            default root
 *   group = GROUP|GID           default the owner's primary group, else root
 *   mode = 0660                 default 0600
 *   scan = on|off               default off
 *   pages_to_scan = N           default: left as it is
 *   sleep_millisecs = MS        default: left as it is
 *
 * The whole file is read and checked first: any error (with FILE:LINE)
 * changes nothing. Then the plan is made against the running kernel; a
 * partition whose owner or mode must change but that is in use is an error
 * and nothing is changed either. Then the plan is carried out. Partitions
 * that are not in the file are never touched. Applying the same file twice
 * changes nothing the second time.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>

#include <ini.h>

#include "ksmctl.h"

#ifndef KSMCTL_PARTITIONS_CONF
#define KSMCTL_PARTITIONS_CONF "/etc/ksm/partitions.conf"
#endif

enum { K_OWNER, K_GROUP, K_MODE, K_SCAN, K_PAGES, K_SLEEP, NKEYS };
static const char *const keys[NKEYS] = {
	"owner", "group", "mode", "scan", "pages_to_scan", "sleep_millisecs",
};
#define KEYS_HINT "keys: owner, group, mode, scan, pages_to_scan, sleep_millisecs"

/* one [partition NAME] section */
struct want {
	char name[KSM_NAME_MAX + 1];
	int line;			/* of the section header */
	int key_line[NKEYS];		/* where each key was set, 0: not set */
	uid_t uid;
	gid_t gid;
	gid_t owner_gid;		/* the owner's primary group, when known */
	bool owner_gid_known;
	mode_t mode;
	int scan;			/* 1 on, 0 off */
	unsigned long pages_to_scan, sleep_ms;
};

struct conf {
	const char *path;
	FILE *f;
	int line;			/* the line being parsed */
	int cur;			/* current section: index, -1 a bad one, -2 none yet */
	struct want *v;
	int n, cap;
	int err_line;			/* first error, 0: none */
	char err[512];
	char err_hint[160];
};

static __attribute__((format(printf, 4, 5)))
void conf_error(struct conf *c, int line, const char *hint, const char *fmt, ...)
{
	va_list ap;

	if (c->err_line && c->err_line <= line)
		return;		/* keep the first one */
	c->err_line = line;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	snprintf(c->err_hint, sizeof(c->err_hint), "%s", hint ? hint : "");
}

/* "[partition NAME]" (the line has no leading blanks; inih parses it after us) */
static void section_header(struct conf *c, const char *line)
{
	char s[INI_MAX_LINE + 1];
	char *end, *p, *name;
	size_t len;

	snprintf(s, sizeof(s), "%s", line);
	end = strchr(s, ']');
	c->cur = -1;
	if (!end) {
		conf_error(c, c->line, NULL, "no ']' at the end of the section header");
		return;
	}
	for (p = end + 1; *p; p++) {
		if (*p == '#' || *p == ';')
			break;
		if (!isspace((unsigned char)*p)) {
			conf_error(c, c->line, NULL, "text after the section header ']'");
			return;
		}
	}
	*end = '\0';
	p = s + 1;
	p += strspn(p, " \t");
	if (strncmp(p, "partition", 9) || (p[9] && !isspace((unsigned char)p[9]))) {
		conf_error(c, c->line, "sections are [partition NAME]", "unknown section [%s]", s + 1);
		return;
	}
	name = p + 9 + strspn(p + 9, " \t");
	len = strcspn(name, " \t");
	if (name[len + strspn(name + len, " \t")]) {
		conf_error(c, c->line, "a name has no blanks", "bad section [%s]", s + 1);
		return;
	}
	name[len] = '\0';
	if (!*name) {
		conf_error(c, c->line, "sections are [partition NAME]", "section [partition] without a NAME");
		return;
	}
	if (ksm_name_valid(name) < 0) {
		conf_error(c, c->line, "a name is 1 to 63 characters of [A-Za-z0-9._-], not '.' or '..'",
			   "bad partition name '%s'", name);
		return;
	}
	for (int i = 0; i < c->n; i++) {
		if (!strcmp(c->v[i].name, name)) {
			conf_error(c, c->line, "one section per partition", "duplicate section [partition %s] (first at line %d)",
				   name, c->v[i].line);
			return;
		}
	}
	if (c->n == c->cap) {
		int cap = c->cap ? 2 * c->cap : 16;
		struct want *v = reallocarray(c->v, cap, sizeof(*v));

		if (!v) {
			conf_error(c, c->line, NULL, "out of memory");
			return;
		}
		c->v = v;
		c->cap = cap;
	}
	memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
	strcpy(c->v[c->n].name, name);
	c->v[c->n].line = c->line;
	c->v[c->n].mode = 0600;
	c->cur = c->n++;
}

/*
 * inih's reader: counts lines (for FILE:LINE), refuses over-long lines
 * instead of splitting them, removes leading blanks (so that indented keys
 * are keys, not continuation lines) and sees every section header, also
 * one without keys (inih calls the handler for keys only).
 */
static char *conf_reader(char *str, int num, void *stream)
{
	struct conf *c = stream;
	size_t len, lead;

	if (!fgets(str, num, c->f))
		return NULL;
	c->line++;
	len = strlen(str);
	if (len == (size_t)num - 1 && str[len - 1] != '\n' && !feof(c->f)) {
		int ch;

		while ((ch = fgetc(c->f)) != EOF && ch != '\n')
			;
		conf_error(c, c->line, NULL, "line longer than %d characters", num - 2);
		str[0] = '\0';
		return str;
	}
	/* a UTF-8 byte order mark (inih skips it too) */
	if (c->line == 1 && !strncmp(str, "\xEF\xBB\xBF", 3)) {
		memmove(str, str + 3, len - 2);
		len -= 3;
	}
	lead = strspn(str, " \t\r");
	memmove(str, str + lead, len - lead + 1);
	if (str[0] == '[')
		section_header(c, str);
	return str;
}

/* the value without a trailing "# comment" (inih removes " ; comment") */
static void clean_value(const char *in, char *out, size_t size)
{
	size_t len = strlen(in);

	for (size_t i = 1; i < len; i++) {
		if (in[i] == '#' && (in[i - 1] == ' ' || in[i - 1] == '\t')) {
			len = i;
			break;
		}
	}
	while (len && isspace((unsigned char)in[len - 1]))
		len--;
	if (len >= size)
		len = size - 1;
	memcpy(out, in, len);
	out[len] = '\0';
}

static bool parse_num(const char *s, int base, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoul(s, &end, base);
	return !errno && !*end && *out <= max;
}

static int conf_handler(void *user, const char *section, const char *key, const char *value)
{
	struct conf *c = user;
	struct want *w;
	unsigned long n;
	char v[256];
	int k;

	if (c->cur == -2) {
		conf_error(c, c->line, "start with a [partition NAME] section", "'%s' outside a section", key);
		return 1;
	}
	if (c->cur < 0)
		return 1;	/* the section header was bad: reported already */
	w = &c->v[c->cur];
	for (k = 0; k < NKEYS; k++)
		if (!strcmp(key, keys[k]))
			break;
	if (k == NKEYS) {
		conf_error(c, c->line, KEYS_HINT, "unknown key '%s' in [partition %s]", key, w->name);
		return 1;
	}
	if (w->key_line[k]) {
		conf_error(c, c->line, NULL, "duplicate key '%s' in [partition %s] (first at line %d)", key,
			   w->name, w->key_line[k]);
		return 1;
	}
	w->key_line[k] = c->line;
	clean_value(value, v, sizeof(v));
	if (!*v) {
		conf_error(c, c->line, NULL, "empty value for '%s' in [partition %s]", key, w->name);
		return 1;
	}
	switch (k) {
	case K_OWNER:
		if (parse_num(v, 10, UINT32_MAX - 1, &n)) {
			uid_t u;

			w->uid = n;
			w->owner_gid_known = id_user(NULL, n, &u, &w->owner_gid) == 0;
		} else if (id_user(v, 0, &w->uid, &w->owner_gid) == 0) {
			w->owner_gid_known = true;
		} else {
			conf_error(c, c->line, "a user name or a number", "unknown user '%s'", v);
			return 1;
		}
		break;
	case K_GROUP:
		if (parse_num(v, 10, UINT32_MAX - 1, &n)) {
			w->gid = n;
		} else if (id_group(v, &w->gid) < 0) {
			conf_error(c, c->line, "a group name or a number", "unknown group '%s'", v);
			return 1;
		}
		break;
	case K_MODE:
		if (!parse_num(v, 8, 0777, &n)) {
			conf_error(c, c->line, "octal permission bits, e.g. 0660", "bad mode '%s'", v);
			return 1;
		}
		w->mode = n;
		break;
	case K_SCAN:
		if (strcmp(v, "on") && strcmp(v, "off")) {
			conf_error(c, c->line, "on or off", "bad scan '%s'", v);
			return 1;
		}
		w->scan = !strcmp(v, "on");
		break;
	case K_PAGES:
		if (!parse_num(v, 10, UINT32_MAX, &n) || !n) {
			conf_error(c, c->line, "1 to 4294967295", "bad pages_to_scan '%s'", v);
			return 1;
		}
		w->pages_to_scan = n;
		break;
	case K_SLEEP:
		if (!parse_num(v, 10, UINT32_MAX, &n)) {
			conf_error(c, c->line, "0 to 4294967295", "bad sleep_millisecs '%s'", v);
			return 1;
		}
		w->sleep_ms = n;
		break;
	}
	return 1;
}

/* read and check the whole file; nothing is changed before this succeeded */
static int conf_read(struct conf *c, struct err *e)
{
	struct stat st;
	int r;

	c->f = fopen(c->path, "re");
	if (!c->f)
		return fail(e, 0, errno, errno == ENOENT ? "write one (see ksmctl(1), PARTITIONS FILE)" : "",
			    "cannot read '%s'", c->path);
	/* root creates partitions owned by whoever the file says: only root may say it */
	if (fstat(fileno(c->f), &st) == 0 && (st.st_mode & S_IWOTH)) {
		fclose(c->f);
		return fail(e, EX_FAIL, EPERM, "chmod o-w it", "'%s' is writable by everyone", c->path);
	}
	c->cur = -2;
	r = ini_parse_stream(conf_reader, c, conf_handler, c);
	if (ferror(c->f) && !c->err_line)
		conf_error(c, c->line, NULL, "read error");
	fclose(c->f);
	if (r > 0 && (!c->err_line || r < c->err_line))
		conf_error(c, r, "lines are '[partition NAME]', 'key = value', or comments starting with # or ;",
			   "syntax error");
	if (r < 0)
		return fail(e, 0, ENOMEM, "", "cannot parse '%s'", c->path);
	if (c->err_line)
		return fail(e, EX_FAIL, EINVAL, c->err_hint, "%s:%d: %s", c->path, c->err_line, c->err);
	/* defaults that depend on other keys */
	for (int i = 0; i < c->n; i++) {
		struct want *w = &c->v[i];

		if (!w->key_line[K_GROUP])
			w->gid = w->key_line[K_OWNER] && w->owner_gid_known ? w->owner_gid : 0;
	}
	return 0;
}

/* ---------------------------------------------------------------- plan */

enum action { A_UNCHANGED, A_CREATE, A_RECREATE, A_UPDATE };
static const char *const action_names[] = { "unchanged", "create", "re-create", "update" };

struct step {
	const struct want *w;
	enum action action;
	bool set_pages, set_sleep, set_run;
	char changes[6][80];	/* what changes, for the output */
	int nchanges;
};

static __attribute__((format(printf, 2, 3)))
void change(struct step *s, const char *fmt, ...)
{
	va_list ap;

	if (s->nchanges == 6)
		return;
	va_start(ap, fmt);
	vsnprintf(s->changes[s->nchanges++], sizeof(s->changes[0]), fmt, ap);
	va_end(ap);
}

static bool in_use(const struct ksm_partition_info *pi)
{
	return pi->members || pi->pages_shared || pi->pages_sharing || pi->pages_unshared;
}

/* a new partition starts with the kernel's defaults: write what the file sets */
static void plan_new(struct step *s, const struct want *w)
{
	s->set_pages = w->key_line[K_PAGES];
	s->set_sleep = w->key_line[K_SLEEP];
	s->set_run = w->scan;
	if (s->set_pages)
		change(s, "pages_to_scan %lu", w->pages_to_scan);
	if (s->set_sleep)
		change(s, "sleep_millisecs %lu", w->sleep_ms);
	if (s->set_run)
		change(s, "scan on");
}

/*
 * The steps for one section; -1 with *e set if it cannot be done.
 * (A process may join an unused partition between this plan and its
 * re-creation; it then stays in the old, nameless one, as after a remove.)
 */
static int plan_one(const struct conf *c, const struct want *w, struct step *s, bool scan_supported,
		    struct err *e)
{
	struct ksm_partition_info pi;
	bool wants_scan_knobs = w->scan || w->key_line[K_PAGES] || w->key_line[K_SLEEP];

	memset(s, 0, sizeof(*s));
	s->w = w;
	if (ksm_partition_info(w->name, &pi) < 0) {
		if (errno != ENOENT)
			return fail(e, 0, errno, "", "cannot read partition '%s'", w->name);
		if (wants_scan_knobs && !scan_supported)
			goto no_scan;
		s->action = A_CREATE;
		change(s, "owner %u", (unsigned)w->uid);
		change(s, "group %u", (unsigned)w->gid);
		change(s, "mode %04o", (unsigned)w->mode);
		plan_new(s, w);
		return 0;
	}
	/* an existing partition has pages_to_scan >= 1 if the kernel scans partitions */
	if (wants_scan_knobs && !pi.pages_to_scan)
		goto no_scan;
	if (pi.uid != w->uid || pi.gid != w->gid || (pi.mode & 07777) != w->mode) {
		if (in_use(&pi))
			return fail(e, EX_FAIL, EBUSY,
				    "a partition's owner and mode are set when it is created: stop its processes, then apply again",
				    "%s:%d: partition '%s' is in use (members %llu, pages %llu): cannot change its owner/group/mode "
				    "%u:%u %04o to %u:%u %04o", c->path, w->line, w->name,
				    (unsigned long long)pi.members,
				    (unsigned long long)(pi.pages_shared + pi.pages_sharing + pi.pages_unshared),
				    (unsigned)pi.uid, (unsigned)pi.gid, (unsigned)pi.mode, (unsigned)w->uid,
				    (unsigned)w->gid, (unsigned)w->mode);
		s->action = A_RECREATE;
		if (pi.uid != w->uid)
			change(s, "owner %u -> %u", (unsigned)pi.uid, (unsigned)w->uid);
		if (pi.gid != w->gid)
			change(s, "group %u -> %u", (unsigned)pi.gid, (unsigned)w->gid);
		if ((pi.mode & 07777) != w->mode)
			change(s, "mode %04o -> %04o", (unsigned)pi.mode, (unsigned)w->mode);
		plan_new(s, w);
		return 0;
	}
	if (!pi.pages_to_scan)
		return 0;	/* no background scanning, none asked for */
	s->set_pages = w->key_line[K_PAGES] && pi.pages_to_scan != w->pages_to_scan;
	s->set_sleep = w->key_line[K_SLEEP] && pi.sleep_millisecs != w->sleep_ms;
	s->set_run = (int)pi.run != w->scan;
	if (s->set_pages)
		change(s, "pages_to_scan %u -> %lu", pi.pages_to_scan, w->pages_to_scan);
	if (s->set_sleep)
		change(s, "sleep_millisecs %u -> %lu", pi.sleep_millisecs, w->sleep_ms);
	if (s->set_run)
		change(s, "scan %s -> %s", pi.run ? "on" : "off", w->scan ? "on" : "off");
	if (s->nchanges)
		s->action = A_UPDATE;
	return 0;
no_scan:
	return fail(e, EX_NOTSUP, ENOTSUP, "remove scan, pages_to_scan and sleep_millisecs from the section",
		    "%s:%d: partition '%s': this kernel has no background scanning of partitions", c->path,
		    w->line, w->name);
}

/* ---------------------------------------------------------------- apply */

/* create NAME owned by UID:GID with exactly MODE (no umask), as ksm_open(2) does */
static int create_as(const struct want *w, struct err *e)
{
	mode_t old_umask = umask(0);
	int old_gid = setfsgid(w->gid), old_uid = setfsuid(w->uid);
	int fd = -1, en = 0;

	/* setfsuid() does not fail: it leaves the id as it was; ask again */
	if ((uid_t)setfsuid(-1) != w->uid || (gid_t)setfsgid(-1) != w->gid) {
		en = EPERM;
	} else {
		fd = ksm_open(w->name, KSM_CREAT | KSM_EXCL | KSM_CLOEXEC, w->mode);
		en = errno;
	}
	setfsuid(old_uid);
	setfsgid(old_gid);
	umask(old_umask);
	if (fd < 0)
		return fail(e, 0, en, en == EPERM ? "run as root (CAP_SETUID, CAP_SETGID)" : "",
			    "cannot create partition '%s' as %u:%u", w->name, (unsigned)w->uid, (unsigned)w->gid);
	close(fd);
	return 0;
}

static int set_file(const char *name, const char *file, unsigned long val, struct err *e)
{
	char rel[160], v[32];

	snprintf(rel, sizeof(rel), "partition/%s/%s", name, file);
	snprintf(v, sizeof(v), "%lu", val);
	if (ksm_sysfs_set(rel, v) < 0)
		return fail(e, 0, errno, errno == EPERM || errno == EACCES ? "run as root" : "",
			    "cannot set %s=%s of partition '%s'", file, v, name);
	return 0;
}

static int do_step(const struct step *s, struct err *e)
{
	const struct want *w = s->w;

	if (s->action == A_RECREATE && ksm_unlink(w->name) < 0)
		return fail(e, 0, errno, perm_hint(errno), "cannot remove partition '%s' to re-create it", w->name);
	if ((s->action == A_CREATE || s->action == A_RECREATE) && create_as(w, e) < 0)
		return -1;
	/* the pace first, so that a scan starts at the pace asked for */
	if (s->set_pages && set_file(w->name, "pages_to_scan", w->pages_to_scan, e) < 0)
		return -1;
	if (s->set_sleep && set_file(w->name, "sleep_millisecs", w->sleep_ms, e) < 0)
		return -1;
	if (s->set_run && set_file(w->name, "run", w->scan, e) < 0)
		return -1;
	return 0;
}

static bool listed(const struct conf *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return true;
	return false;
}

int cmd_partition_apply(int argc, char **argv, struct err *e)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{}
	};
	struct conf c = { .path = KSMCTL_PARTITIONS_CONF };
	_cleanup_free_ struct step *steps = NULL;
	_cleanup_names_ char **names = NULL;
	bool dry = false;
	int ch, bad = 0, nchanged = 0, ret = -1, nnames;

	while ((ch = next_opt(argc, argv, opts, e, &bad)) != -1)
		if (ch == 'n')
			dry = true;
	if (bad)
		return -1;
	if (optind < argc)
		c.path = argv[optind++];
	if (optind < argc)
		return usage_fail(e, "partition apply takes at most one FILE");

	/* 1. the whole file, checked; 2. a kernel with partitions; 3. the plan; 4. the changes */
	if (conf_read(&c, e) < 0)
		goto out;
	if (need_partitions(e) < 0)
		goto out;
	steps = calloc(c.n ? c.n : 1, sizeof(*steps));
	if (!steps) {
		fail(e, 0, ENOMEM, "", "cannot plan %d partitions", c.n);
		goto out;
	}
	for (int i = 0; i < c.n; i++)
		if (plan_one(&c, &c.v[i], &steps[i], ksm_features() & KSM_FEAT_PARTITION_JOIN, e) < 0)
			goto out;
	nnames = ksm_partition_list(&names);
	if (nnames < 0) {
		fail(e, 0, errno, "", "cannot list partitions");
		goto out;
	}
	if (json_out) {
		jw_obj_open(jw);
		jw_kstr(jw, "file", c.path);
		jw_kbool(jw, "dry_run", dry);
		jw_key(jw, "partitions");
		jw_arr_open(jw);
	}
	for (int i = 0; i < c.n; i++) {
		const struct step *s = &steps[i];

		if (!dry && s->action != A_UNCHANGED && do_step(s, e) < 0) {
			if (nchanged)
				snprintf(e->hint, sizeof(e->hint), "%d partition%s changed before this failure", nchanged,
					 nchanged > 1 ? "s were" : " was");
			goto out;
		}
		nchanged += s->action != A_UNCHANGED;
		if (json_out) {
			jw_obj_open(jw);
			jw_kstr(jw, "name", s->w->name);
			jw_kstr(jw, "action", action_names[s->action]);
			jw_key(jw, "changes");
			jw_arr_open(jw);
			for (int k = 0; k < s->nchanges; k++)
				jw_str(jw, s->changes[k]);
			jw_arr_close(jw);
			jw_obj_close(jw);
			continue;
		}
		printf("%s: %s%s", s->w->name, s->action == A_UNCHANGED ? "" : dry ? "would " : "",
		       action_names[s->action]);
		for (int k = 0; k < s->nchanges; k++)
			printf("%s%s", k ? ", " : s->action == A_RECREATE ? " (unused; owner and mode are set at creation): " :
			       s->action == A_CREATE ? " (" : " ", s->changes[k]);
		printf("%s\n", s->action == A_CREATE ? ")" : "");
	}
	if (json_out) {
		jw_arr_close(jw);
		jw_key(jw, "unlisted");
		jw_arr_open(jw);
	}
	for (int i = 0; i < nnames; i++) {
		if (listed(&c, names[i]))
			continue;
		if (json_out)
			jw_str(jw, names[i]);
		else
			printf("%s: not in %s, left alone\n", names[i], c.path);
	}
	if (json_out) {
		jw_arr_close(jw);
		jw_kint(jw, "changed", nchanged);
		jw_obj_close(jw);
	} else if (!nchanged) {
		printf("nothing to do: every partition of %s is as it says\n", c.path);
	} else {
		printf("%d partition%s %s\n", nchanged, nchanged > 1 ? "s" : "",
		       dry ? "would change (dry run: nothing was changed)" : "changed");
	}
	ret = 0;
out:
	free(c.v);
	return ret;
}
