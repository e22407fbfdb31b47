/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0) */
/* Benchmark harness for baton_xdp (bench/xdp, docs/datapath.md "Benchmarks").
 *
 * BPF_PROG_TEST_RUN's repeat loop runs the program again on the same buffer, so a program that
 * rewrites the frame (MACs, TTL) would measure another path after a few iterations. `harness`
 * restores the first BENCH_RESTORE_LEN bytes of the frame from the global bench_frame (four 8-byte
 * stores: they hold everything baton_xdp rewrites: both MACs, the IPv4 TTL and checksum, the
 * IPv6 hop limit) and tail-calls bench_progs[0]: baton_xdp, or `empty` to measure the harness
 * itself. `harness_flows` does the same and also varies the source port (live many-flow runs).
 * `empty` is the empty program measured beside them. prog_run.cpp checks after each timed run
 * that the frame the last iteration left is the one a single run of baton_xdp leaves (a
 * rewritten byte the harness failed to restore would have changed on every iteration).
 *
 * The frame is a global (.bss, written by user space through the skeleton's mmap): reading it
 * takes no map lookup.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define BENCH_FRAME_LEN 64
#define BENCH_RESTORE_LEN 32

/* The frame and, for harness_flows, which source port to vary over how many values. Plain
 * types: the skeleton (user space) declares .bss variables with their own types. */
__u64 bench_frame[BENCH_FRAME_LEN / 8];
__u32 bench_sport_off; /* offset of the 16-bit source port */
__u32 bench_flows;     /* number of distinct source ports */

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} bench_seq SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} bench_progs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} bench_received SEC(".maps");

/* On the member's veth: counts what arrives and drops it. */
SEC("xdp")
int count_drop(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&bench_received, &zero);
  (void)ctx;
  if (n) (*n)++;
  return XDP_DROP;
}

SEC("xdp")
int empty(struct xdp_md *ctx) {
  (void)ctx;
  return XDP_PASS;
}

/* Restores the bytes a run of baton_xdp may have rewritten. 0: the frame is too short. */
static __always_inline int restore(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  if (data + BENCH_FRAME_LEN > data_end) return 0;
  __u64 *dst = data;
    dst[0] = bench_frame[0];
  dst[1] = bench_frame[1];
  dst[2] = bench_frame[2];
  dst[3] = bench_frame[3];
  _Static_assert(BENCH_RESTORE_LEN == 4 * 8, "restore() stores four words");
  return 1;
}

SEC("xdp")
int harness(struct xdp_md *ctx) {
  if (!restore(ctx)) return XDP_ABORTED;
  bpf_tail_call(ctx, &bench_progs, 0);
  return XDP_ABORTED;
}

SEC("xdp")
int harness_flows(struct xdp_md *ctx) {
  if (!restore(ctx)) return XDP_ABORTED;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u32 zero = 0;
  __u32 *seq = bpf_map_lookup_elem(&bench_seq, &zero);
  __u32 off = bench_sport_off & 0x3F;
  __u32 flows = bench_flows;
  if (seq && flows != 0 && data + off + 2 <= data_end) {
    __u16 port = (__u16)(1024 + (*seq)++ % flows);
    *(__u16 *)(data + off) = (__u16)((port >> 8) | (port << 8));
  }
  bpf_tail_call(ctx, &bench_progs, 0);
  return XDP_ABORTED;
}
