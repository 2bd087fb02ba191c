#!/bin/sh
# bench/report's arithmetic on fixed input: medians and min-max over the
# repetitions, target ratios from the medians with the spread of the extreme
# combinations, and the verdicts met / missed / inconclusive (a spread that
# crosses the limit). No kernel, no guest: make bench itself is not run here.
. "$(dirname "$0")/lib.sh"

T=$(mktemp -d /tmp/bench-report.XXXXXX)
trap 'rm -rf "$T"' EXIT
M=256
B=$((M * 1048576))

# three repetitions, values out of order; b's second run never reached 99%
cat > "$T/raw1" <<RAW
config size_mib $M nproc 4 unique_pct 10 ksmd_default_size_mib $M page 4096 repeat 3 idle_secs 5 max_mib 2048 read_mib 1024 cases bcdkrz
config thp_enabled always [madvise] never
config tsc_mhz 2600.0 monotonic_res_ns 4000000 cputime_res_ns 1
run b 1 wall 5.0 cpu 5.0 merged 44000 target 44238 bytes $B idle_cpu 5.0 idle_secs 5 # ksmd
run c 1 wall 1.0 cpu 1.0 merged 44238 target 44238 bytes $B idle_cpu 0.00 idle_secs 5 # sync
run d 1 wall 0.5 cpu 0.5 bytes $B # hash
run k 1 idle_cpu 0.00 idle_secs 5 # idle
run r1 1 wall 3.2 cpu 1 # with
run r0 1 wall 1.2 cpu 1 # without
run z64 1 wall 1 cpu 1 us_per_page 11 # z
run z2048 1 wall 1 cpu 1 us_per_page 10 # z
run z1024 1 wall 1 cpu 1 us_per_page 10 rd_global 100 rd_part 10 rd_stat 40 rd_knob 2 # z
run b 2 wall -1 cpu 7.0 merged 30000 target 44238 bytes $B idle_cpu 5.0 idle_secs 5 # ksmd
run c 2 wall 3.0 cpu 3.0 merged 44238 target 44238 bytes $B idle_cpu 0.01 idle_secs 5 # sync
run d 2 wall 0.5 cpu 0.5 bytes $B # hash
run k 2 idle_cpu 0.01 idle_secs 5 # idle
run r0 2 wall 1.0 cpu 1 # without
run r1 2 wall 3.0 cpu 1 # with
run z64 2 wall 1 cpu 1 us_per_page 10 # z
run z2048 2 wall 1 cpu 1 us_per_page 12 # z
run z1024 2 wall 1 cpu 1 us_per_page 10 rd_global 120 rd_part 30 rd_stat 60 rd_knob 2 # z
run b 3 wall 6.0 cpu 6.0 merged 44100 target 44238 bytes $B idle_cpu 5.0 idle_secs 5 # ksmd
run c 3 wall 2.0 cpu 2.0 merged 44238 target 44238 bytes $B idle_cpu 0.00 idle_secs 5 # sync
run d 3 wall 0.5 cpu 0.5 bytes $B # hash
run r1 3 wall 3.1 cpu 1 # with
run r0 3 wall 1.1 cpu 1 # without
run z64 3 wall 1 cpu 1 us_per_page 10.5 # z
run z2048 3 wall 1 cpu 1 us_per_page 11 # z
run z1024 3 wall 1 cpu 1 us_per_page 10 rd_global 110 rd_part 20 rd_stat 50 rd_knob 2 # z
RAW
# one repetition, nothing crosses anything
cat > "$T/raw2" <<RAW
config size_mib $M nproc 4 unique_pct 10 ksmd_default_size_mib $M page 4096 repeat 1 idle_secs 5 max_mib 64 read_mib 64 cases cd
run c 1 wall 1.0 cpu 1.0 merged 44238 target 44238 bytes $B idle_cpu 0 idle_secs 5 # sync
run d 1 wall 1.0 cpu 1.0 bytes $B # hash
RAW

tap_plan 14
awk -f "$TOP/bench/report.awk" "$T/raw1" > "$T/out1" 2> "$T/err1"
ok $? "report of three repetitions: exit 0 $(head -c 200 "$T/err1")"
awk -f "$TOP/bench/report.awk" "$T/raw2" > "$T/out2" 2> "$T/err2"
ok $? "report of one repetition: exit 0 $(head -c 200 "$T/err2")"
row() { grep -F "| $1" "$2" | head -n1; }
has() { # has FILE 'ROW START' 'EXPECTED TEXT' NAME
	r=$(row "$2" "$1")
	case $r in *"$3"*) ok 0 "$4" ;; *) ok 1 "$4: got '$r'" ;; esac
}
O=$T/out1
has "$O" "c | sync |" "| 2.000 (1.000-3.000) | 2.000 (1.000-3.000) |" "median and min-max of c's wall and CPU (inputs 1, 3, 2)"
has "$O" "b | ksmd" "| 5.500 (5.000-6.000), 1 not reached |" "a run that did not reach 99% is left out of the median and counted"
has "$O" "k | nothing" "0.01 (0.00-0.01)" "even count: median of 0.00 and 0.01"
has "$O" "CPU of the synchronous merge (c)" "| 0.33 (0.14-0.60) | inconclusive |" "c/b: ratio of medians 2/6, spread 1/7 to 3/5 crosses 0.5: inconclusive"
has "$O" "c's MiB per CPU second" "| 0.25 (0.17-0.50) | **missed** |" "c/d bytes per CPU s: the whole spread below 0.8: missed"
has "$O" "CPU per page at 2048 MiB" "| 1.05 (0.91-1.20) | met |" "per page 2048/64 MiB: spread up to exactly 1.2: met (limit inclusive)"
has "$O" "one read of /sys/kernel/mm/ksm/pages_sharing" "| 110.0 (100.0-120.0) | **missed** |" "global read 100-120 us: missed"
has "$O" "one read of the partition's" "| 20.0 (10.0-30.0) | met |" "partition read 10-30 us: met"
has "$O" "one read of /proc/PID/ksm_stat" "| 50.0 (40.0-60.0) | inconclusive |" "ksm_stat read 40-60 us: inconclusive"
has "$O" "wall of a 256 MiB merge" "| 2.82 (2.50-3.20) | **missed** |" "reader slowdown r1/r0: missed"
has "$O" "whole-system CPU in the 5 s after c" "| 0.00 (0.00-0.01) | met |" "background CPU after c within 0.02 s: met"
O=$T/out2
has "$O" "c's MiB per CPU second" "| 1.00 | met |" "one repetition: no spread, ratio 1.00 >= 0.8 met"
tap_done
