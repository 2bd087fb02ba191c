// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * User and group names for partition apply. The host build asks NSS
 * (getpwnam(3): /etc/passwd, LDAP, sssd...); the static guest build
 * (-DKSMCTL_NO_NSS) reads /etc/passwd and /etc/group itself, since a static
 * glibc cannot load NSS modules.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "ksmctl.h"

#ifndef KSMCTL_NO_NSS
int id_user(const char *name, uid_t uid, uid_t *uid_out, gid_t *gid_out)
{
	struct passwd *pw = name ? getpwnam(name) : getpwuid(uid);

	if (!pw)
		return -1;
	*uid_out = pw->pw_uid;
	*gid_out = pw->pw_gid;
	return 0;
}

int id_group(const char *name, gid_t *gid_out)
{
	struct group *gr = getgrnam(name);

	if (!gr)
		return -1;
	*gid_out = gr->gr_gid;
	return 0;
}
#else
int id_user(const char *name, uid_t uid, uid_t *uid_out, gid_t *gid_out)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	int ret = -1;

	if (!f)
		return -1;
	while ((pw = fgetpwent(f))) {
		if (name ? !strcmp(pw->pw_name, name) : pw->pw_uid == uid) {
			*uid_out = pw->pw_uid;
			*gid_out = pw->pw_gid;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

int id_group(const char *name, gid_t *gid_out)
{
	FILE *f = fopen("/etc/group", "re");
	struct group *gr;
	int ret = -1;

	if (!f)
		return -1;
	while ((gr = fgetgrent(f))) {
		if (!strcmp(gr->gr_name, name)) {
			*gid_out = gr->gr_gid;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}
#endif
