// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcg-profile: a QEMU TCG plugin that counts the guest kernel instructions
 * executed per translation block, the profile of the guest kernel when perf
 * cannot be used in it (the test kernel has no kallsyms, TCG no PMU).
 * bench/profile maps the blocks to System.map symbols.
 *
 *   qemu-system-x86_64 -plugin tcg-profile.so,out=FILE[,mark=VADDR] ...
 *
 * At exit FILE gets "VADDR INSNS EXECS" lines: the start of a block, the
 * instructions it executed (its length times its executions) and its
 * executions (for the block at a function's address: its calls); inline
 * counters, not atomic across vCPUs: a few counts may be lost under
 * MTTCG. Only kernel addresses (the upper half) are counted. With mark=,
 * every execution of the block at VADDR (the entry of a syscall that the
 * benchmark calls around what it measures) also writes the counts so far
 * to FILE.1, FILE.2, ...: the difference of two is that window's profile.
 *
 * Written against the plugin API of QEMU 7.2 (QEMU_PLUGIN_VERSION 1; the
 * few declarations it uses are below, so no QEMU headers are needed).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*tb_trans_cb)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb)(qemu_plugin_id_t id, void *userdata);
typedef void (*vcpu_udata_cb)(unsigned int vcpu_index, void *userdata);
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, vcpu_udata_cb cb,
					  enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb cb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb cb, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;

#define SLOTS (1UL << 20)	/* distinct kernel blocks; far more than a boot needs */

struct block {
	uint64_t vaddr;
	uint64_t insns;
	uint64_t execs;
};

static struct block *table;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *out;
static unsigned long used;
static uint64_t mark;
static int marks;

static struct block *slot(uint64_t vaddr)
{
	unsigned long i = (vaddr * 0x9e3779b97f4a7c15ULL) >> 44;

	for (;; i = (i + 1) & (SLOTS - 1)) {
		if (table[i].vaddr == vaddr)
			return &table[i];
		if (!table[i].vaddr) {
			if (used + 1 >= SLOTS)
				return NULL;
			used++;
			table[i].vaddr = vaddr;
			return &table[i];
		}
	}
}

static void dump(const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned long i;

	if (!f) {
		perror(path);
		return;
	}
	for (i = 0; i < SLOTS; i++)
		if (table[i].insns)
			fprintf(f, "%llx %llu %llu\n",
				(unsigned long long)table[i].vaddr,
				(unsigned long long)table[i].insns,
				(unsigned long long)table[i].execs);
	fclose(f);
}

static void marked(unsigned int vcpu, void *userdata)
{
	char path[4096];

	pthread_mutex_lock(&lock);
	snprintf(path, sizeof(path), "%s.%d", out, ++marks);
	dump(path);
	pthread_mutex_unlock(&lock);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	struct block *b;

	if (!(vaddr >> 63))
		return;
	pthread_mutex_lock(&lock);
	b = slot(vaddr);
	pthread_mutex_unlock(&lock);
	if (b) {
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &b->insns,
							 qemu_plugin_tb_n_insns(tb));
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
							 &b->execs, 1);
	}
	if (mark && vaddr == mark)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, marked, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
	dump(out);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc,
			       char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out = strdup(argv[i] + 4);
		else if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 16);
	if (!out) {
		fprintf(stderr, "tcg-profile: usage: -plugin tcg-profile.so,out=FILE[,mark=VADDR]\n");
		return -1;
	}
	table = calloc(SLOTS, sizeof(*table));
	if (!table)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
