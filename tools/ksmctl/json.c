// SPDX-License-Identifier: GPL-2.0-or-later
#include "json.h"

#include <stdlib.h>
#include <string.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *f;
	bool pretty;
	int depth;
	bool first[JW_MAX_DEPTH];
	bool after_key;
};

struct jw *jw_new(FILE *f, bool pretty)
{
	struct jw *jw = calloc(1, sizeof(*jw));

	if (!jw)
		return NULL;
	jw->f = f;
	jw->pretty = pretty;
	jw->first[0] = true;
	return jw;
}

void jw_destroy(struct jw **jw)
{
	if (!*jw)
		return;
	fputc('\n', (*jw)->f);
	fflush((*jw)->f);
	free(*jw);
	*jw = NULL;
}

static void indent(struct jw *jw)
{
	if (!jw->pretty)
		return;
	fputc('\n', jw->f);
	for (int i = 0; i < jw->depth; i++)
		fputs("    ", jw->f);
}

/* separator before a value or a key */
static void sep(struct jw *jw)
{
	if (jw->after_key) {
		jw->after_key = false;
		return;
	}
	if (!jw->first[jw->depth])
		fputc(',', jw->f);
	jw->first[jw->depth] = false;
	if (jw->depth > 0)
		indent(jw);
}

static void open_(struct jw *jw, char c)
{
	sep(jw);
	fputc(c, jw->f);
	if (jw->depth < JW_MAX_DEPTH - 1)
		jw->depth++;
	jw->first[jw->depth] = true;
}

static void close_(struct jw *jw, char c)
{
	bool empty = jw->first[jw->depth];

	if (jw->depth > 0)
		jw->depth--;
	if (!empty)
		indent(jw);
	fputc(c, jw->f);
}

void jw_obj_open(struct jw *jw) { open_(jw, '{'); }
void jw_obj_close(struct jw *jw) { close_(jw, '}'); }
void jw_arr_open(struct jw *jw) { open_(jw, '['); }
void jw_arr_close(struct jw *jw) { close_(jw, ']'); }

static void put_string(struct jw *jw, const char *s)
{
	fputc('"', jw->f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", jw->f); break;
		case '\\': fputs("\\\\", jw->f); break;
		case '\n': fputs("\\n", jw->f); break;
		case '\t': fputs("\\t", jw->f); break;
		case '\r': fputs("\\r", jw->f); break;
		default:
			if (*p < 0x20)
				fprintf(jw->f, "\\u%04x", *p);
			else
				fputc(*p, jw->f);
		}
	}
	fputc('"', jw->f);
}

void jw_key(struct jw *jw, const char *key)
{
	sep(jw);
	put_string(jw, key);
	fputs(jw->pretty ? ": " : ":", jw->f);
	jw->after_key = true;
}

void jw_str(struct jw *jw, const char *s) { sep(jw); put_string(jw, s ? s : ""); }
void jw_int(struct jw *jw, long long v) { sep(jw); fprintf(jw->f, "%lld", v); }
void jw_uint(struct jw *jw, unsigned long long v) { sep(jw); fprintf(jw->f, "%llu", v); }
void jw_bool(struct jw *jw, bool v) { sep(jw); fputs(v ? "true" : "false", jw->f); }
void jw_null(struct jw *jw) { sep(jw); fputs("null", jw->f); }
void jw_double(struct jw *jw, double v) { sep(jw); fprintf(jw->f, "%.3f", v); }

void jw_kstr(struct jw *jw, const char *k, const char *s) { jw_key(jw, k); jw_str(jw, s); }
void jw_kint(struct jw *jw, const char *k, long long v) { jw_key(jw, k); jw_int(jw, v); }
void jw_kuint(struct jw *jw, const char *k, unsigned long long v) { jw_key(jw, k); jw_uint(jw, v); }
void jw_kbool(struct jw *jw, const char *k, bool v) { jw_key(jw, k); jw_bool(jw, v); }
