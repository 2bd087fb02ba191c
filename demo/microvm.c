// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * microvm: a process that holds guest RAM the way a microVM's VMM does, for
 * the demo and the benchmarks. It maps RAM anonymous private memory in
 * 4 KiB pages and fills it like a freshly booted guest:
 *
 *   [0, IMG)              zero pages (firmware area, unused low memory)
 *   [IMG, +image)         the guest kernel image file, byte for byte
 *                         (IMG = 16 MiB, or 1 MiB when RAM < 32 MiB)
 *   [.., +UNIQUE% of RAM) data unique to this VM (xorshift64*, seeded by
 *                         --id): guest heap, page tables, stacks
 *   [...]                 zero pages (free guest memory, touched)
 *   [RAM - initrd, RAM)   the initramfs file, at the top of RAM where VMMs
 *                         load it
 *
 * Every page is written, so all of RAM is resident. It then prints
 * "ADDR NPAGES" (hexadecimal start, page count) on stdout and waits for
 * SIGTERM or SIGINT.
 *
 *   microvm --ram MIB --image FILE --initrd FILE [--unique PCT] [--id N]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024UL * 1024)

static void die(const char *what)
{
	fprintf(stderr, "microvm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static size_t load(const char *path, char *dst, size_t room)
{
	struct stat st;
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(path);
	if ((size_t)st.st_size > room) {
		errno = EFBIG;
		die(path);
	}
	while (done < (size_t)st.st_size) {
		n = read(fd, dst + done, st.st_size - done);
		if (n <= 0)
			die(path);
		done += n;
	}
	close(fd);
	return done;
}

static size_t file_size(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		die(path);
	return st.st_size;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ram", required_argument, NULL, 'r' },
		{ "image", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "unique", required_argument, NULL, 'u' },
		{ "id", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const char *image = NULL, *initrd = NULL;
	unsigned long ram_mib = 64, unique_pct = 15, id = 1;
	size_t psz = sysconf(_SC_PAGESIZE), ram, img_off, pos, unique, rd_off;
	uint64_t x, *w;
	sigset_t set;
	char *mem;
	int opt, sig;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': ram_mib = strtoul(optarg, NULL, 0); break;
		case 'k': image = optarg; break;
		case 'i': initrd = optarg; break;
		case 'u': unique_pct = strtoul(optarg, NULL, 0); break;
		case 'n': id = strtoul(optarg, NULL, 0); break;
		case 'h':
			printf("usage: microvm --ram MIB --image FILE --initrd FILE [--unique PCT] [--id N]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!image || !initrd || !ram_mib || unique_pct > 90) {
		fprintf(stderr, "microvm: need --ram MIB --image FILE --initrd FILE, --unique <= 90\n");
		return 2;
	}

	ram = ram_mib * MIB;
	mem = mmap(NULL, ram, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	madvise(mem, ram, MADV_NOHUGEPAGE);
	memset(mem, 0, ram);

	img_off = ram >= 32 * MIB ? 16 * MIB : 1 * MIB;
	rd_off = (ram - file_size(initrd)) & ~(psz - 1);
	if (rd_off <= img_off) {
		errno = ENOSPC;
		die("initrd");
	}
	pos = img_off + load(image, mem + img_off, rd_off - img_off);
	pos = (pos + psz - 1) & ~(psz - 1);
	load(initrd, mem + rd_off, ram - rd_off);

	unique = ram / 100 * unique_pct & ~(psz - 1);
	if (pos + unique > rd_off) {
		errno = ENOSPC;
		die("unique data");
	}
	x = 0x9e3779b97f4a7c15ULL * (id + 1);
	for (w = (uint64_t *)(mem + pos); w < (uint64_t *)(mem + pos + unique); w++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		*w = x * 0x2545f4914f6cdd1dULL;
	}

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("%lx %zu\n", (unsigned long)mem, ram / psz);
	fflush(stdout);
	sigwait(&set, &sig);
	return 0;
}
