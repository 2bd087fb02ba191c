# make demo: the operator's view. For now it boots the patched kernel and
# shows its KSM state; the multi-tenant demo replaces this (issue 5).
.PHONY: demo
demo: deps kernel initramfs
	@$(TOP)/tests/vm/vm-run -- sh -c 'cat /proc/version; cd /sys/kernel/mm/ksm && for f in *; do [ -f "$$f" ] && printf "%-28s %s\n" "$$f" "$$(cat $$f 2>/dev/null)"; done; ls -d /sys/kernel/mm/ksm/*/ 2>/dev/null'
