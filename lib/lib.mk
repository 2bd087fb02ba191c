# libksm: shared and static library, header, pkg-config file.
# Included by the top Makefile (TOP, B, CC, CFLAGS, WARN, PREFIX, DESTDIR).

LIBKSM_VERSION := 1.2.0
LIBKSM_SOMAJOR := 1
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

LIBKSM_SRCS := $(TOP)/lib/libksm.c
LIBKSM_OBJS := $(patsubst $(TOP)/lib/%.c,$(B)/obj/lib/%.o,$(LIBKSM_SRCS))
LIBKSM_SO := $(B)/lib/libksm.so.$(LIBKSM_VERSION)
LIBKSM_A := $(B)/lib/libksm.a
LIBKSM_CFLAGS := $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -I$(TOP)/include \
	-DLIBKSM_VERSION='"$(LIBKSM_VERSION)"'

.PHONY: libksm install-lib

libksm: $(LIBKSM_SO) $(B)/lib/libksm.so $(LIBKSM_A) $(B)/lib/ksm.pc
userspace: libksm

$(B)/obj/lib/%.o: $(TOP)/lib/%.c $(TOP)/include/ksm.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(LIBKSM_CFLAGS) -c -o $@ $<

$(LIBKSM_SO): $(LIBKSM_OBJS) $(TOP)/lib/libksm.map
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libksm.so.$(LIBKSM_SOMAJOR) \
		-Wl,--version-script=$(TOP)/lib/libksm.map -Wl,-z,defs -o $@ $(LIBKSM_OBJS)

$(B)/lib/libksm.so: $(LIBKSM_SO)
	ln -sf libksm.so.$(LIBKSM_VERSION) $(B)/lib/libksm.so.$(LIBKSM_SOMAJOR)
	ln -sf libksm.so.$(LIBKSM_SOMAJOR) $@

$(LIBKSM_A): $(LIBKSM_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# the build tree's ksm.pc (for the tests); install writes one with PREFIX
$(B)/lib/ksm.pc: $(TOP)/lib/ksm.pc.in
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(B)|' -e 's|@LIBDIR@|$(B)/lib|' \
		-e 's|@INCLUDEDIR@|$(TOP)/include|' -e 's|@VERSION@|$(LIBKSM_VERSION)|' $< > $@

install-lib: libksm
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 0755 $(LIBKSM_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libksm.so.$(LIBKSM_VERSION) $(DESTDIR)$(LIBDIR)/libksm.so.$(LIBKSM_SOMAJOR)
	ln -sf libksm.so.$(LIBKSM_SOMAJOR) $(DESTDIR)$(LIBDIR)/libksm.so
	install -m 0644 $(LIBKSM_A) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(TOP)/include/ksm.h $(DESTDIR)$(INCLUDEDIR)/ksm.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(LIBKSM_VERSION)|' \
		$(TOP)/lib/ksm.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/ksm.pc
	chmod 0644 $(DESTDIR)$(PKGCONFIGDIR)/ksm.pc

install: install-lib
