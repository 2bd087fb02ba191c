# ksm-oci: the OCI runtime wrapper (JSON: libjansson). Included by tools/tools.mk.

JANSSON_CFLAGS := $(shell pkg-config --cflags jansson 2>/dev/null)
JANSSON_LIBS := $(or $(shell pkg-config --libs jansson 2>/dev/null),-ljansson)
KSM_OCI_OBJS := $(B)/obj/tools/ksm-oci/ksm-oci.o $(TOOL_COMMON_OBJS)

.PHONY: install-ksm-oci
tools: $(B)/bin/ksm-oci
guest-bin: $(B)/guest/bin/ksm-oci

$(B)/obj/tools/ksm-oci/ksm-oci.o: TOOLS_CFLAGS += $(JANSSON_CFLAGS) -DKSM_OCI_VERSION='"$(TOOLS_VERSION)"'

$(B)/bin/ksm-oci: $(KSM_OCI_OBJS) $(B)/lib/libksm.so
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(KSM_OCI_OBJS) -L$(B)/lib -lksm $(JANSSON_LIBS) $(TOOLS_RPATH)

$(B)/guest/bin/ksm-oci: $(KSM_OCI_OBJS) $(LIBKSM_A)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -static -o $@ $(KSM_OCI_OBJS) $(LIBKSM_A) $(JANSSON_LIBS)

install-ksm-oci: $(B)/bin/ksm-oci
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(B)/bin/ksm-oci $(DESTDIR)$(BINDIR)/

install-tools: install-ksm-oci
