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

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct baton_state);
} baton_state SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(map_flags, BPF_F_MMAPABLE);
  __uint(max_entries, BATON_XDP_SLOTS * BATON_XDP_TABLE_QUADS);
  __type(key, __u32);
  __type(value, struct baton_quad);
} baton_table SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, BATON_XDP_MAX_MEMBERS * BATON_XDP_SIDES);
  __type(key, __u32);
  __type(value, struct baton_port);
} baton_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, BATON_XDP_MAX_IFINDEX);
  __type(key, __u32);
  __type(value, struct baton_iface);
} baton_ifaces SEC(".maps");

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
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct baton_local_filter);
} baton_local_filter SEC(".maps");

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
  __u32 zero = 0;
  struct baton_local_filter *f = bpf_map_lookup_elem(&baton_local_filter, &zero);
  if (!f) return 1;
  return (f->bits[(slot / 64) & (BATON_LOCAL_FILTER_BITS / 64 - 1)] >> (slot & 63)) & 1;
}

/* Traffic for the orchestrator itself: VRRP, multicast and broadcast, own addresses. */
static __always_inline int is_local4(const __u8 *ip, __u8 outer_proto) {
  __u32 dst;
  if (outer_proto == BATON_IPPROTO_VRRP) return 1;
  __builtin_memcpy(&dst, ip + 16, 4); /* network order */
  if ((dst & 0xF0) == 0xE0 || dst == 0xFFFFFFFFu) return 1; /* 224/4, broadcast */
  if (!maybe_local(baton_local_slot4(dst))) return 0;
  return bpf_map_lookup_elem(&baton_local4, &dst) != 0;
}

/* VRRP, neighbour discovery, multicast and link-local destinations, own addresses. */
static __always_inline int is_local6(const __u8 *ip, const __u8 *end, __u8 outer_proto) {
  struct baton_addr6 dst;
  if (outer_proto == BATON_IPPROTO_VRRP) return 1;
  if (ip[24] == 0xFF) return 1;                         /* ff00::/8 */
  if (ip[24] == 0xFE && (ip[25] & 0xC0) == 0x80) return 1; /* fe80::/10 */
  if (ip[6] == BATON_IPPROTO_ICMPV6) {
    /* ND (133..137) without extension headers; ND never carries any. */
    if (ip + 41 > end) return 0;
    if (ip[40] >= 133 && ip[40] <= 137) return 1;
  }
  __builtin_memcpy(&dst, ip + 24, 16);
  __u32 w[4];
  __builtin_memcpy(w, ip + 24, 16);
  if (!maybe_local(baton_local_slot6(w))) return 0;
  return bpf_map_lookup_elem(&baton_local6, &dst) != 0;
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

  __u32 ifindex = ctx->ingress_ifindex;
  struct baton_iface *iface = bpf_map_lookup_elem(&baton_ifaces, &ifindex);
  if (!iface || !(iface->flags & BATON_IFACE_VALID) || iface->side >= BATON_XDP_SIDES)
    return verdict(BATON_V_PASSED_UNCONFIGURED, bytes, XDP_PASS);
  __u32 side = iface->side;

  __u8 *ip = (__u8 *)data + (pkt.l3_off & 0x3F);
  if (pkt.family == 4) {
    if ((void *)(ip + 20) > data_end) return verdict(BATON_V_DROPPED_MALFORMED, bytes, XDP_DROP);
    if (is_local4(ip, pkt.outer_proto)) return verdict(BATON_V_PASSED_LOCAL, bytes, XDP_PASS);
  } else {
    if ((void *)(ip + 40) > data_end) return verdict(BATON_V_DROPPED_MALFORMED, bytes, XDP_DROP);
    if (is_local6(ip, data_end, pkt.outer_proto))
      return verdict(BATON_V_PASSED_LOCAL, bytes, XDP_PASS);
  }
  if (pkt.ttl <= 1) return verdict(BATON_V_PASSED_TTL, bytes, XDP_PASS);

  __u32 zero = 0;
  struct baton_state *st = bpf_map_lookup_elem(&baton_state, &zero);
  if (!st) return verdict(BATON_V_NO_MEMBER, bytes, XDP_DROP);
  /* The address dependency on `active` orders the reads of the slot after it. */
  __u32 active = *(volatile __u32 *)&st->active & 1;
  struct baton_slot *slot = &st->slot[active];
  __u32 m = slot->buckets;
  if (m == 0 || m > BATON_XDP_MAX_BUCKETS) return verdict(BATON_V_NO_MEMBER, bytes, XDP_DROP);

  __u32 hash = baton_flow_hash(&pkt, (int)slot->mode, slot->seed);
  __u32 bucket = baton_bucket(hash, m);
  __u32 qkey = active * BATON_XDP_TABLE_QUADS + (bucket >> 2);
  struct baton_quad *quad = bpf_map_lookup_elem(&baton_table, &qkey);
  if (!quad) return verdict(BATON_V_NO_MEMBER, bytes, XDP_DROP);
  __u32 member = quad->member[bucket & 3];
  if (member >= BATON_XDP_MAX_MEMBERS) return verdict(BATON_V_NO_MEMBER, bytes, XDP_DROP);

  __u32 pkey = member * BATON_XDP_SIDES + side;
  struct baton_port *port = bpf_map_lookup_elem(&baton_ports, &pkey);
  if (!port || !(port->flags & BATON_PORT_VALID))
    return verdict(BATON_V_NO_MEMBER, bytes, XDP_DROP);

  /* Rewrite: the frame is at least 14 + 20 bytes long here. Four wide stores instead of
   * twelve byte stores (dst_mac sits at offset 0 of an 8-aligned map value, src_mac at 6). */
  __u8 *eth = data;
  const __u8 *pv = (const __u8 *)port;
  *(__u32 *)eth = *(const __u32 *)pv;
  *(__u16 *)(eth + 4) = *(const __u16 *)(pv + 4);
  *(__u16 *)(eth + 6) = *(const __u16 *)(pv + 6);
  *(__u32 *)(eth + 8) = *(const __u32 *)(pv + 8);
  if (pkt.family == 4) {
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
