/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small streaming JSON writer (compact or pretty), like bpftool's json_writer. */
#ifndef KSMCTL_JSON_H
#define KSMCTL_JSON_H
#include <stdbool.h>
#include <stdio.h>

struct jw;

struct jw *jw_new(FILE *f, bool pretty);
void jw_destroy(struct jw **jw);	/* prints the final newline */
void jw_obj_open(struct jw *jw);
void jw_obj_close(struct jw *jw);
void jw_arr_open(struct jw *jw);
void jw_arr_close(struct jw *jw);
void jw_key(struct jw *jw, const char *key);
void jw_str(struct jw *jw, const char *s);
void jw_int(struct jw *jw, long long v);
void jw_uint(struct jw *jw, unsigned long long v);
void jw_bool(struct jw *jw, bool v);
void jw_null(struct jw *jw);
void jw_double(struct jw *jw, double v);
/* key + value in one call */
void jw_kstr(struct jw *jw, const char *key, const char *s);
void jw_kint(struct jw *jw, const char *key, long long v);
void jw_kuint(struct jw *jw, const char *key, unsigned long long v);
void jw_kbool(struct jw *jw, const char *key, bool v);
#endif
