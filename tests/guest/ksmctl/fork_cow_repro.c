// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reproducer (not wired into GUEST_TESTS): a child created by fork shares
 * its parent's anonymous pages copy-on-write. Merging the child into
 * partition rb turns one of those shared pages into a KSM page of rb in
 * place, so the parent, a member of no partition, maps a KSM page of rb;
 * after the child exits the parent cannot merge that page into its own
 * partition ra (ksm_merge returns 63 of 64). Found by libksm_guest.
 *   gcc -static -Iinclude fork_cow_repro.c build/lib/libksm.a
 * Output on the first patched kernel:
 *   merge child (COW-sharing 'same') into rb: r=64
 *   rb: members 1 shared 1 sharing 63
 *   parent (member of no partition): ksm_merging_pages 0
 *   after the child exited: parent ksm_merging_pages 0
 *   parent merges 'same' into ra: r=63 [page 0 differs] ndiff=62
 */
#define _GNU_SOURCE
#include <ksm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
static long psz;
static uint64_t pfn_of(void *a){int fd=open("/proc/self/pagemap",O_RDONLY);uint64_t e=0;pread(fd,&e,8,(uintptr_t)a/psz*8);close(fd);return (e>>63)?(e&((1ULL<<55)-1)):0;}
static void show(const char *what, char *p, int n, long r){int d=0;printf("%s: r=%ld ", what, r);for(int i=1;i<n;i++) if(pfn_of(p+i*psz)!=pfn_of(p+psz)) d++; if (pfn_of(p)!=pfn_of(p+psz)) printf("[page 0 differs] "); printf("ndiff=%d\n", d);}
int main(int argc,char**argv){psz=sysconf(_SC_PAGESIZE); long r;
 char*same=mmap(NULL,64*psz,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0);madvise(same,64*psz,MADV_NOHUGEPAGE);memset(same,0x5a,64*psz);
 int fa=ksm_open("ra",KSM_CREAT,0600), fb=ksm_open("rb",KSM_CREAT,0600);
 pid_t h=fork(); if(!h){ for(;;) pause(); }
 usleep(100000);
 r=ksm_merge(fb,h,0,0); printf("merge child (COW-sharing 'same') into rb: r=%ld\n", r);
 struct ksm_partition_info pi; ksm_partition_info("rb",&pi); printf("rb: members %llu shared %llu sharing %llu\n",(unsigned long long)pi.members,(unsigned long long)pi.pages_shared,(unsigned long long)pi.pages_sharing);
 struct ksm_proc_stat st; ksm_proc_stat(0,&st); printf("parent (member of no partition): ksm_merging_pages %lld\n", st.merging_pages);
 kill(h,SIGKILL); waitpid(h,NULL,0);
 ksm_proc_stat(0,&st); printf("after the child exited: parent ksm_merging_pages %lld\n", st.merging_pages);
 r=ksm_merge(fa,0,(unsigned long)same,64*psz); show("parent merges 'same' into ra",same,64,r);
 ksm_unlink("ra"); ksm_unlink("rb"); return 0;}
