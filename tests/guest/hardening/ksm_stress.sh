#!/bin/sh
# ksm_stress for KSM_STRESS_SECS (default 15 in make check; 60 on the
# debug kernel, see tests/debug.mk).
exec "$(dirname "$0")/ksm_stress" -d "${KSM_STRESS_SECS:-15}"
