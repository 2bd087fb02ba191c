# ksmctl and ksm-exec: dynamically linked host tools in $(B)/bin, static ones
# for the guest initramfs in $(B)/guest/bin. Included by the top Makefile.

TOOLS_VERSION := $(LIBKSM_VERSION)
TOOLS_CFLAGS := $(CFLAGS) $(WARN) -I$(TOP)/include -DKSMCTL_VERSION='"$(TOOLS_VERSION)"' \
	-DKSM_EXEC_VERSION='"$(TOOLS_VERSION)"' -DKSM_EXEC_CONFIG='"/etc/ksm-exec.conf"'
INIH_CFLAGS := $(shell pkg-config --cflags inih 2>/dev/null)
INIH_LIBS := $(or $(shell pkg-config --libs inih 2>/dev/null),-linih)

KSMCTL_OBJS := $(addprefix $(B)/obj/tools/ksmctl/,main.o partition.o partition_apply.o merge.o status.o \
	ksmd.o metrics.o json.o)
# user and group names: NSS on the host, /etc/passwd and /etc/group in the static guest binary
KSMCTL_HOST_OBJS := $(KSMCTL_OBJS) $(B)/obj/tools/ksmctl/ids.o
KSMCTL_GUEST_OBJS := $(KSMCTL_OBJS) $(B)/obj/tools/ksmctl/ids-static.o
# helpers shared by the launchers ksm-exec and ksm-oci
TOOL_COMMON_OBJS := $(B)/obj/tools/common/tool.o
KSM_EXEC_OBJS := $(B)/obj/tools/ksm-exec/ksm-exec.o $(TOOL_COMMON_OBJS)
# host binaries find libksm in ../lib, both in the build tree and after install
TOOLS_RPATH := -Wl,-rpath,'$$ORIGIN/../lib'

.PHONY: tools install-tools

tools: $(B)/bin/ksmctl $(B)/bin/ksm-exec
userspace: tools
guest-bin: $(B)/guest/bin/ksmctl $(B)/guest/bin/ksm-exec

$(B)/obj/tools/%.o: $(TOP)/tools/%.c $(TOP)/include/ksm.h $(wildcard $(TOP)/tools/ksmctl/*.h $(TOP)/tools/common/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(TOOLS_CFLAGS) $(INIH_CFLAGS) -c -o $@ $<

$(B)/obj/tools/ksmctl/ids-static.o: $(TOP)/tools/ksmctl/ids.c $(wildcard $(TOP)/tools/ksmctl/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(TOOLS_CFLAGS) -DKSMCTL_NO_NSS -c -o $@ $<

$(B)/bin/ksmctl: $(KSMCTL_HOST_OBJS) $(B)/lib/libksm.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(KSMCTL_HOST_OBJS) -L$(B)/lib -lksm $(INIH_LIBS) $(TOOLS_RPATH)

$(B)/bin/ksm-exec: $(KSM_EXEC_OBJS) $(B)/lib/libksm.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(KSM_EXEC_OBJS) -L$(B)/lib -lksm $(INIH_LIBS) $(TOOLS_RPATH)

$(B)/guest/bin/ksmctl: $(KSMCTL_GUEST_OBJS) $(LIBKSM_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $(KSMCTL_GUEST_OBJS) $(LIBKSM_A) $(INIH_LIBS)

$(B)/guest/bin/ksm-exec: $(KSM_EXEC_OBJS) $(LIBKSM_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $(KSM_EXEC_OBJS) $(LIBKSM_A) $(INIH_LIBS)

install-tools: tools
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(B)/bin/ksmctl $(B)/bin/ksm-exec $(DESTDIR)$(BINDIR)/

install: install-tools

# man pages: section 1 (tools), 2 (syscalls), 3 (libksm); .so links as they are
MAN_PAGES := $(wildcard $(TOP)/man/man1/*.1 $(TOP)/man/man2/*.2 $(TOP)/man/man3/*.3)
.PHONY: install-man
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man2 $(DESTDIR)$(MANDIR)/man3
	install -m 0644 $(TOP)/man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(TOP)/man/man2/*.2 $(DESTDIR)$(MANDIR)/man2/
	install -m 0644 $(TOP)/man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/

install: install-man

# systemd units (systemd/): @BINDIR@ replaced by where ksmctl is installed
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
.PHONY: install-systemd
install-systemd:
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	for u in $(TOP)/systemd/*; do \
		sed 's|@BINDIR@|$(BINDIR)|g' $$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in) && \
		chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$(basename $$u .in) || exit 1; \
	done

install: install-systemd

-include $(TOP)/tools/ksm-oci/ksm-oci.mk
