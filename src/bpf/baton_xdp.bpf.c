/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0) */
/* baton_xdp — the fast path on an uplink's ingress (DESIGN §2, docs/datapath.md).
 *
 * parse (shared header) → own traffic to the kernel → TTL check → symmetric hash → bucket
 * of the live table slot → member → MAC rewrite for this uplink's side → TTL / hop limit
 * decrement → redirect through the devmap. Every frame ends in exactly one verdict counter.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "dist/baton_flow.h"
#include "bpf/baton_maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* State, own-address filter, uplink sides and member ports (baton_maps.h): a global, so
 * reading it takes no map lookup. User space writes it through the mmap of baton_xd.bss. */
struct baton_globals baton_g;

/* Hides the value of `p` from the compiler: it then computes a pointer into baton_g once
 * and reads the fields at small offsets from it, instead of rebuilding base + large offset
 * for every field. */
#define BATON_OPAQUE(p) asm volatile("" : "+r"(p))

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, BATON_XDP_SLOTS * BATON_XDP_TABLE_QUADS);
  __type(key, __u32);
  __type(value, struct baton_quad);
} baton_table SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(max_entries, BATON_XDP_MAX_PORTS);
  __type(key, __u32);
  __type(value, __u32);
} baton_tx SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, BATON_XDP_MAX_LOCAL);
  __type(key, __u32);
  __type(value, __u32);
} baton_local4 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, BATON_XDP_MAX_LOCAL);
  __type(key, struct baton_addr6);
  __type(value, __u32);
} baton_local6 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, BATON_V_COUNT);
  __type(key, __u32);
  __type(value, struct baton_counter);
} baton_verdicts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, BATON_XDP_MAX_MEMBERS);
  __type(key, __u32);
  __type(value, struct baton_counter);
} baton_member_stats SEC(".maps");

static __always_inline int verdict(__u32 v, __u64 bytes, int action) {
  struct baton_counter *c = bpf_map_lookup_elem(&baton_verdicts, &v);
  if (c) {
    c->packets++;
    c->bytes += bytes;
  }
  return action;
}

/* Whether the own-address filter has the bit of `slot` set (then the hash map decides). */
static __always_inline int maybe_local(__u32 slot) {
  const struct baton_local_filter *f = &baton_g.local_filter;
  return (f->bits[(slot / 64) & (BATON_LOCAL_FILTER_BITS / 64 - 1)] >> (slot & 63)) & 1;
}

/* A 32-bit word of the packet as it lies in memory. One load: the verifier allows packet
 * loads at any offset on architectures with efficient unaligned access (x86-64, arm64), where
 * memcpy into a local would cost four byte loads and three shifts per word. */
static __always_inline __u32 pkt_word(const __u8 *p) {
  return *(const __u32 *)p;
}

/* Traffic for the orchestrator itself: VRRP, multicast and broadcast, own addresses. */
static __always_inline int is_local4(const __u8 *ip, __u8 outer_proto) {
  if (outer_proto == BATON_IPPROTO_VRRP) return 1;
  __u32 dst = pkt_word(ip + 16); /* network order */
  if ((dst & 0xF0) == 0xE0 || dst == 0xFFFFFFFFu) return 1; /* 224/4, broadcast */
  if (!maybe_local(baton_local_slot4(dst))) return 0;
  return bpf_map_lookup_elem(&baton_local4, &dst) != 0;
}

/* VRRP, neighbour discovery, multicast and link-local destinations, own addresses. */
static __always_inline int is_local6(const __u8 *ip, const __u8 *end, __u8 outer_proto) {
  if (outer_proto == BATON_IPPROTO_VRRP) return 1;
  if (ip[24] == 0xFF) return 1;                         /* ff00::/8 */
  if (ip[24] == 0xFE && (ip[25] & 0xC0) == 0x80) return 1; /* fe80::/10 */
  if (ip[6] == BATON_IPPROTO_ICMPV6) {
    /* ND (133..137) without extension headers; ND never carries any. */
    if (ip + 41 > end) return 0;
    if (ip[40] >= 133 && ip[40] <= 137) return 1;
  }
  __u32 w[4] = {pkt_word(ip + 24), pkt_word(ip + 28), pkt_word(ip + 32), pkt_word(ip + 36)};
  if (!maybe_local(baton_local_slot6(w))) return 0;
  struct baton_addr6 dst; /* only built when the filter says "maybe" */
  __builtin_memcpy(&dst, w, 16);
  return bpf_map_lookup_elem(&baton_local6, &dst) != 0;
}

/* Everything after the parse, for one address family. Inlined twice with `family` a constant
 * (4 or 6): each copy keeps only its family's branches, here and in baton_flow_hash, so an IPv4
 * packet does not carry the IPv6 address words through registers and stack slots. */
static __always_inline int forward(struct xdp_md *ctx, void *data, void *data_end, __u64 bytes,
                                   struct baton_pkt *pkt, const int family) {
  pkt->family = (__u8)family; /* already so: tells the compiler */

  __u32 ifindex = ctx->ingress_ifindex;
  if (ifindex >= BATON_XDP_MAX_IFINDEX)
    return verdict(BATON_V_PASSED_UNCONFIGURED, bytes, XDP_PASS);
  const struct baton_iface *iface = &baton_g.ifaces[ifindex];
  if (!(iface->flags & BATON_IFACE_VALID) || iface->side >= BATON_XDP_SIDES)
    return verdict(BATON_V_PASSED_UNCONFIGURED, bytes, XDP_PASS);
  __u32 side = iface->side;

  __u8 *ip = (__u8 *)data + (pkt->l3_off & 0x3F);
  if (family == 4) {
    if ((void *)(ip + 20) > data_end) return verdict(BATON_V_DROPPED_MALFORMED, bytes, XDP_DROP);
    if (is_local4(ip, pkt->outer_proto)) return verdict(BATON_V_PASSED_LOCAL, bytes, XDP_PASS);
  } else {
    if ((void *)(ip + 40) > data_end) return verdict(BATON_V_DROPPED_MALFORMED, bytes, XDP_DROP);
    if (is_local6(ip, data_end, pkt->outer_proto))
      return verdict(BATON_V_PASSED_LOCAL, bytes, XDP_PASS);
  }
  if (pkt->ttl <= 1) return verdict(BATON_V_PASSED_TTL, bytes, XDP_PASS);

  struct baton_state *st = &baton_g.state;
  /* The address dependency on `active` orders the reads of the slot after it. */
  __u32 active = *(volatile __u32 *)&st->active & 1;
  struct baton_slot *slot = &st->slot[active];
  __u32 m = slot->buckets;
  if (m - 1 >= BATON_XDP_MAX_BUCKETS) /* m == 0 (no table) or m > the maximum */
    return verdict(BATON_V_NO_MEMBER, bytes, XDP_DROP);

  __u32 hash = baton_flow_hash(pkt, (int)slot->mode, slot->seed);
  __u32 bucket = baton_bucket(hash, m);
  __u32 qkey = active * BATON_XDP_TABLE_QUADS + (bucket >> 2);
  struct baton_quad *quad = bpf_map_lookup_elem(&baton_table, &qkey);
  if (!quad) return verdict(BATON_V_NO_MEMBER, bytes, XDP_DROP);
  __u32 member = quad->member[bucket & 3];
  if (member >= BATON_XDP_MAX_MEMBERS) return verdict(BATON_V_NO_MEMBER, bytes, XDP_DROP);

  const struct baton_port *port = &baton_g.ports[member * BATON_XDP_SIDES + side];
  BATON_OPAQUE(port);
  if (!(port->flags & BATON_PORT_VALID))
    return verdict(BATON_V_NO_MEMBER, bytes, XDP_DROP);

  /* Rewrite: the frame is at least 14 + 20 bytes long here. Four wide stores instead of
   * twelve byte stores (dst_mac sits at offset 0 of a 4-aligned entry, src_mac at 6). */
  __u8 *eth = data;
  const __u8 *pv = (const __u8 *)port;
  *(__u32 *)eth = *(const __u32 *)pv;
  *(__u16 *)(eth + 4) = *(const __u16 *)(pv + 4);
  *(__u16 *)(eth + 6) = *(const __u16 *)(pv + 6);
  *(__u32 *)(eth + 8) = *(const __u32 *)(pv + 8);
  if (family == 4) {
    /* ip_decrease_ttl(): TTL is the high byte of a 16-bit word, so the checksum grows by
     * htons(0x0100) in ones' complement. */
    __u16 *check = (__u16 *)(ip + 10);
    __u32 sum = (__u32)*check + 0x0001u; /* htons(0x0100) on little endian */
    *check = (__u16)(sum + (sum >= 0xFFFF));
    ip[8]--;
  } else {
    ip[7]--;
  }

  /* The distributed verdict is the sum of the member counters (read_counters adds them up):
   * one counter update on the hot path instead of two. member < BATON_XDP_MAX_MEMBERS, so
   * the lookup cannot fail. */
  struct baton_counter *mc = bpf_map_lookup_elem(&baton_member_stats, &member);
  if (mc) {
    mc->packets++;
    mc->bytes += bytes;
  }
  return (int)bpf_redirect_map(&baton_tx, port->tx, XDP_DROP);
}

SEC("xdp")
int baton_xdp(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u64 bytes = (__u64)(data_end - data);
  struct baton_pkt pkt;
  int rc = baton_parse(data, data_end, &pkt);

  if (rc == BATON_PARSE_NOT_IP) {
    if (pkt.ethertype == BATON_ETH_P_ARP) return verdict(BATON_V_PASSED_LOCAL, bytes, XDP_PASS);
    return verdict(BATON_V_PASSED_NOT_IP, bytes, XDP_PASS);
  }
  if (rc != BATON_PARSE_OK) return verdict(BATON_V_DROPPED_MALFORMED, bytes, XDP_DROP);
  if (pkt.family == 4) return forward(ctx, data, data_end, bytes, &pkt, 4);
  return forward(ctx, data, data_end, bytes, &pkt, 6);
}
