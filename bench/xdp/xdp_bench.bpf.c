/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0) */
/* Benchmark harness for baton_xdp (bench/xdp, docs/datapath.md "Benchmarks").
 *
 * BPF_PROG_TEST_RUN's repeat loop runs the program again on the same buffer, so a program that
 * rewrites the frame (MACs, TTL) would measure another path after a few iterations. `harness`
 * restores the frame from bench_frame (64 bytes, eight 8-byte stores), optionally varies the
 * source port for many-flow runs, and tail-calls bench_progs[0]: baton_xdp, or `empty` to
 * measure the harness itself. `empty` is the empty program measured beside them.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define BENCH_FRAME_LEN 64

struct bench_frame {
  __u8 data[BENCH_FRAME_LEN];
  __u32 sport_off; /* offset of a 16-bit source port to vary, 0 = one flow */
  __u32 flows;     /* number of distinct source ports when varying */
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct bench_frame);
} bench_frame SEC(".maps");

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

SEC("xdp")
int harness(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u32 zero = 0;
  struct bench_frame *f = bpf_map_lookup_elem(&bench_frame, &zero);
  if (!f || data + BENCH_FRAME_LEN > data_end) return XDP_ABORTED;
  __u64 *dst = data;
  const __u64 *src = (const __u64 *)f->data;
  dst[0] = src[0];
  dst[1] = src[1];
  dst[2] = src[2];
  dst[3] = src[3];
  dst[4] = src[4];
  dst[5] = src[5];
  dst[6] = src[6];
  dst[7] = src[7];
  if (f->sport_off != 0 && f->flows != 0) {
    __u32 *seq = bpf_map_lookup_elem(&bench_seq, &zero);
    __u32 off = f->sport_off & 0x3F;
    if (seq && data + off + 2 <= data_end) {
      __u16 port = (__u16)(1024 + (*seq)++ % f->flows);
      *(__u16 *)(data + off) = (__u16)((port >> 8) | (port << 8));
    }
  }
  bpf_tail_call(ctx, &bench_progs, 0);
  return XDP_ABORTED;
}
