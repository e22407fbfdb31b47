/* SPDX-License-Identifier: Apache-2.0
 *
 * baton_maps.h — the maps of the XDP fast path, shared by the BPF program (baton_xdp.bpf.c)
 * and the C++ map writer. One definition of every key, value and limit. See docs/datapath.md.
 *
 * Rules for this file: C, fixed-width types, no padding the compiler could choose (every
 * struct is laid out by hand), nothing but declarations and the one hash both sides must
 * agree on (the own-address filter's).
 */
#ifndef BATON_MAPS_H
#define BATON_MAPS_H

#if defined(__bpf__)
/* The BPF program includes <linux/types.h> first. */
typedef __u8 bm_u8;
typedef __u16 bm_u16;
typedef __u32 bm_u32;
typedef __u64 bm_u64;
#else
#include <stdint.h>
typedef uint8_t bm_u8;
typedef uint16_t bm_u16;
typedef uint32_t bm_u32;
typedef uint64_t bm_u64;
#endif

/* Limits. */
#define BATON_XDP_MAX_BUCKETS 1048576u /* >= dist::kMaxBuckets, a multiple of 4 */
#define BATON_XDP_TABLE_QUADS (BATON_XDP_MAX_BUCKETS / 4)
#define BATON_XDP_SLOTS 2u
#define BATON_XDP_MAX_MEMBERS 4096u /* member ids 0..4095 (dist::kMaxMembers) */
#define BATON_XDP_SIDES 2u          /* 0 = ext, 1 = int */
#define BATON_XDP_MAX_IFINDEX 16384u
#define BATON_XDP_MAX_PORTS 64u     /* devmap entries: downlink interfaces */
#define BATON_XDP_MAX_LOCAL 1024u   /* own addresses per family */
#define BATON_XDP_NO_MEMBER 0xFFFFu

/* What the program did with a frame. Names (user space): distributed, passed-local,
 * passed-ttl, passed-not-ip, passed-unconfigured, dropped-malformed, no-member. */
enum baton_verdict {
  BATON_V_DISTRIBUTED = 0,     /* rewritten and redirected to a member */
  BATON_V_PASSED_LOCAL,        /* ARP, ND, VRRP, multicast, link-local or an own address */
  BATON_V_PASSED_TTL,          /* transit with TTL / hop limit <= 1: the kernel sends ICMP */
  BATON_V_PASSED_NOT_IP,       /* another EtherType (LLDP, LACP, ...): the kernel's business */
  BATON_V_PASSED_UNCONFIGURED, /* arrived on an interface with no side configured */
  BATON_V_DROPPED_MALFORMED,   /* the shared parser refused the frame */
  BATON_V_NO_MEMBER,           /* no table live, bucket unowned, or owner has no port here */
  BATON_V_COUNT
};

/* Per-CPU counter value of baton_verdicts (key = verdict) and baton_member_stats
 * (key = member id). The program counts a distributed frame only in baton_member_stats; its
 * BATON_V_DISTRIBUTED entry stays zero and readers add up the member counters. */
struct baton_counter {
  bm_u64 packets;
  bm_u64 bytes;
};

/* One table slot's header. A table is live when its slot is the active one. */
struct baton_slot {
  bm_u64 generation;
  bm_u32 buckets; /* M; 0 = no table */
  bm_u32 mode;    /* enum baton_mode */
  bm_u32 seed;
  bm_u32 pad;
};

/* baton_globals.state. User space fills the inactive slot's header and buckets, waits for
 * readers of that slot to finish, then switches `active` with one 32-bit store. */
struct baton_state {
  bm_u32 active; /* 0 or 1 */
  bm_u32 pad;
  struct baton_slot slot[BATON_XDP_SLOTS];
};

/* baton_table element: four consecutive buckets. Key = slot * BATON_XDP_TABLE_QUADS +
 * bucket / 4; the owner is member[bucket % 4]. 8-byte values make the mmap-ed map a flat
 * array of uint16 member ids per slot. */
struct baton_quad {
  bm_u16 member[4];
};

/* baton_globals.ports[member id * BATON_XDP_SIDES + side]: how to reach a member on the
 * downlink of one side. User space writes `flags` last when it sets an entry and first when
 * it clears one. */
#define BATON_PORT_VALID 0x1u
struct baton_port {
  bm_u8 dst_mac[6]; /* the member's MAC on that downlink */
  bm_u8 src_mac[6]; /* the orchestrator's MAC on that downlink */
  bm_u32 tx;        /* key in baton_tx (the devmap) */
  bm_u32 flags;     /* BATON_PORT_* */
};

/* baton_globals.ifaces[ingress ifindex]: the side an uplink belongs to (`flags` written last
 * when set, first when cleared). */
#define BATON_IFACE_VALID 0x1u
struct baton_iface {
  bm_u32 side;
  bm_u32 flags; /* BATON_IFACE_* */
};

/* baton_local4 key: an IPv4 address in network order (value: unused u32).
 * baton_local6 key: an IPv6 address in network order. */
struct baton_addr6 {
  bm_u8 addr[16];
};

/* The own-address filter: one bit per slot, set for every slot an own address hashes to. A
 * transit packet whose destination's bit is clear skips the hash lookup in baton_local4/6
 * (most packets); a set bit only means "look it up". User space sets a bit after adding an
 * address to the hash map and clears bits only after removing it. */
#define BATON_LOCAL_FILTER_BITS 4096u
struct baton_local_filter {
  bm_u64 bits[BATON_LOCAL_FILTER_BITS / 64];
};

/* The program's global variables: `baton_g`, its only .bss variable, so this struct is the
 * whole value of the map libbpf makes of .bss (`baton_xd.bss`, one element, mmap-able).
 * The program reads it without a map lookup (a global is a constant address); user space
 * writes it through an mmap of that map. Everything here is read on every packet; the table
 * (too large for a global) and the per-CPU counters stay maps. Small members first: the
 * program addresses a member at offset >= 32 KiB with one more instruction. */
struct baton_globals {
  struct baton_state state;               /* active slot, slot headers */
  struct baton_local_filter local_filter; /* own-address filter */
  struct baton_iface ifaces[BATON_XDP_MAX_IFINDEX];                   /* ingress ifindex -> side */
  struct baton_port ports[BATON_XDP_MAX_MEMBERS * BATON_XDP_SIDES];   /* member * 2 + side */
};

/* Filter slot of an IPv4 address given as it lies in memory (network order). */
static inline bm_u32 baton_local_slot4(bm_u32 addr_net) {
  return (addr_net * 0x9E3779B1u) >> 20; /* unsigned 32-bit arithmetic: no cast needed */
}

/* Filter slot of an IPv6 address given as four 32-bit words as they lie in memory. */
static inline bm_u32 baton_local_slot6(const bm_u32 *w) {
  return baton_local_slot4(w[0] ^ w[1] ^ w[2] ^ w[3] ^ 0x6u);
}

#endif /* BATON_MAPS_H */
