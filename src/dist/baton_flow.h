/* SPDX-License-Identifier: Apache-2.0
 *
 * baton_flow.h — the one definition of how a frame becomes a flow, and a flow a bucket.
 *
 * Included by the XDP program (src/bpf) and by the C++ code (through dist/flow.hpp), so the
 * data path and the control plane can never disagree on where a packet goes. Rules for this
 * file: C, static inline, no libc, fixed-width types, every loop bounded, every read checked
 * against the end of the frame before it happens (the BPF verifier enforces the same).
 *
 * What it does (docs/architecture.md, "The flow hash"):
 *  - parse Ethernet (up to two VLAN tags), IPv4 (options skipped), IPv6 (up to
 *    BATON_MAX_EXTHDRS extension headers skipped), TCP, UDP, SCTP, ICMP and ICMPv6;
 *  - ICMP errors carry the header of the packet they report on: the flow is taken from that
 *    embedded header, so the error reaches the member that owns the connection;
 *  - fragments (first or later) are flows of their addresses only, so every fragment of a
 *    datagram lands where its first one does;
 *  - the hash is symmetric: endpoints are put in a canonical order (unsigned compare of the
 *    address, then of the port) before hashing, so both directions give the same value.
 */
#ifndef BATON_FLOW_H
#define BATON_FLOW_H

#if defined(__bpf__)
/* The BPF program includes vmlinux.h or <linux/types.h> first. */
typedef __u8 bt_u8;
typedef __u16 bt_u16;
typedef __u32 bt_u32;
typedef __u64 bt_u64;
#else
#include <stdint.h>
typedef uint8_t bt_u8;
typedef uint16_t bt_u16;
typedef uint32_t bt_u32;
typedef uint64_t bt_u64;
#endif

/* Is [p, p + n) past the end of the data? `end` is the end of the IP datagram, `lim` the end
 * of the frame (end <= lim). The BPF verifier learns packet bounds only from compares with the
 * frame's real end, so BPF checks both; C needs only the first. */
#if defined(__bpf__)
#define BATON_PAST(p, n, end, lim) ((p) + (n) > (end) || (p) + (n) > (lim))
#else
#define BATON_PAST(p, n, end, lim) ((void)(lim), (p) + (n) > (end))
#endif

/* BPF: rebuilds p from its offset in the frame so that every path through a loop leaves the
 * verifier the same pointer state and it can prune (without this the unrolled extension
 * header loops exceed its budget). p <= frame end here, so the offset is below 4096 and the
 * mask changes nothing. C: nothing to do. */
#if defined(__bpf__)
#define BATON_REBASE(p, base) ((p) = (base) + (((p) - (base)) & 0xFFF))
#else
#define BATON_REBASE(p, base) ((void)(base))
#endif

/* BPF: every helper is inlined (a BPF call takes at most 5 arguments, and calls cost). */
#if defined(__bpf__)
#define BATON_INLINE static inline __attribute__((always_inline))
#else
#define BATON_INLINE static inline
#endif

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "baton_flow.h assumes a little-endian host"
#endif

#define BATON_MAX_VLANS 2
#define BATON_MAX_EXTHDRS 6

#define BATON_ETH_P_IP 0x0800
#define BATON_ETH_P_IPV6 0x86DD
#define BATON_ETH_P_ARP 0x0806
#define BATON_ETH_P_8021Q 0x8100
#define BATON_ETH_P_8021AD 0x88A8

#define BATON_IPPROTO_HOPOPTS 0
#define BATON_IPPROTO_ICMP 1
#define BATON_IPPROTO_TCP 6
#define BATON_IPPROTO_UDP 17
#define BATON_IPPROTO_ROUTING 43
#define BATON_IPPROTO_FRAGMENT 44
#define BATON_IPPROTO_ESP 50
#define BATON_IPPROTO_AH 51
#define BATON_IPPROTO_ICMPV6 58
#define BATON_IPPROTO_NONE 59
#define BATON_IPPROTO_DSTOPTS 60
#define BATON_IPPROTO_VRRP 112
#define BATON_IPPROTO_SCTP 132
#define BATON_IPPROTO_MH 135

/* Distribution modes (DESIGN §2). */
enum baton_mode {
  BATON_MODE_GENERAL = 0,    /* source and destination address */
  BATON_MODE_GENERAL_L4 = 1, /* addresses, ports and protocol when the packet has ports */
};

/* Outcome of baton_parse(). BATON_PARSE_OK and BATON_PARSE_NOT_IP are not errors; every
 * other value names what was wrong with the frame. */
enum baton_parse_result {
  BATON_PARSE_OK = 0,
  BATON_PARSE_NOT_IP,         /* ARP or another EtherType: not a flow */
  BATON_ERR_ETH_TRUNC,        /* shorter than an Ethernet header */
  BATON_ERR_VLAN_TRUNC,       /* VLAN tag cut short */
  BATON_ERR_VLAN_DEPTH,       /* more than BATON_MAX_VLANS tags */
  BATON_ERR_IP4_TRUNC,        /* IPv4 header or datagram cut short */
  BATON_ERR_IP4_VERSION,      /* EtherType IPv4, version field not 4 */
  BATON_ERR_IP4_IHL,          /* header length below 20 bytes */
  BATON_ERR_IP4_LEN,          /* total length below the header length */
  BATON_ERR_IP6_TRUNC,        /* IPv6 header or payload cut short */
  BATON_ERR_IP6_VERSION,      /* EtherType IPv6, version field not 6 */
  BATON_ERR_EXT_TRUNC,        /* an IPv6 extension header cut short */
  BATON_ERR_EXT_DEPTH,        /* more than BATON_MAX_EXTHDRS extension headers */
  BATON_ERR_L4_TRUNC,         /* TCP/UDP/SCTP/ICMP header cut short */
  BATON_ERR_TCP_DOFF,         /* TCP data offset below 5 words */
  BATON_ERR_ICMP_INNER,       /* ICMP error whose embedded header is cut short or malformed */
  BATON_PARSE_RESULT_COUNT
};

/* Packet flags. */
#define BATON_PKT_FRAGMENT 0x01   /* a fragment, first or later (hashed on addresses) */
#define BATON_PKT_ICMP_ERROR 0x02 /* flow taken from the embedded header */
#define BATON_PKT_HAS_PORTS 0x04  /* sport/dport are meaningful */

/* A parsed frame. Addresses are in host order, most significant word first (IPv4 in [0],
 * the other words zero); ports in host order. For an ICMP error, src/dst/ports/proto are the
 * embedded packet's, and outer_proto is ICMP or ICMPv6. */
struct baton_pkt {
  bt_u32 src[4];
  bt_u32 dst[4];
  bt_u16 sport;
  bt_u16 dport;
  bt_u16 l3_off;      /* offset of the outer IP header in the frame */
  bt_u16 ethertype;   /* EtherType after any VLAN tags */
  bt_u8 family;       /* 4 or 6 */
  bt_u8 proto;        /* L4 protocol of the flow */
  bt_u8 outer_proto;  /* L4 protocol of the frame itself */
  bt_u8 flags;        /* BATON_PKT_* */
  bt_u8 ttl;          /* outer TTL / hop limit */
  bt_u8 vlans;        /* VLAN tags skipped */
  bt_u16 pad;
};

/* Big-endian reads. C: byte-wise / memcpy, which the compilers turn into one load. BPF:
 * clang cannot assume an unaligned load is allowed and turns those into byte loads, shifts
 * and ors (about ten instructions per 32-bit word), so BPF reads the word directly and swaps
 * it (two instructions; same value). The verifier accepts packet loads at any offset on
 * architectures with efficient unaligned access (x86-64, arm64) unless the program is loaded
 * with BPF_F_STRICT_ALIGNMENT. */
#if defined(__bpf__)
typedef bt_u16 __attribute__((may_alias)) baton_alias_u16;
typedef bt_u32 __attribute__((may_alias)) baton_alias_u32;

BATON_INLINE bt_u16 baton_be16(const bt_u8 *p) {
  return __builtin_bswap16(*(const baton_alias_u16 *)p);
}

BATON_INLINE bt_u32 baton_be32(const bt_u8 *p) {
  return __builtin_bswap32(*(const baton_alias_u32 *)p);
}
#else
BATON_INLINE bt_u16 baton_be16(const bt_u8 *p) {
  return (bt_u16)(((bt_u32)p[0] << 8) | (bt_u32)p[1]);
}

BATON_INLINE bt_u32 baton_be32(const bt_u8 *p) {
  bt_u32 v;
  __builtin_memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
#endif

BATON_INLINE int baton_proto_has_ports(bt_u8 proto) {
  return proto == BATON_IPPROTO_TCP || proto == BATON_IPPROTO_UDP ||
         proto == BATON_IPPROTO_SCTP;
}

BATON_INLINE int baton_icmp4_is_error(bt_u8 type) {
  /* destination unreachable, source quench, redirect, time exceeded, parameter problem */
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

BATON_INLINE int baton_icmp6_is_error(bt_u8 type) {
  /* destination unreachable, packet too big, time exceeded, parameter problem */
  return type >= 1 && type <= 4;
}

/* Skips IPv6 extension headers starting at *pp with next header *nh. On return *pp points at
 * the upper-layer header and *nh names it. *frag is set to 1 for a real fragment (offset or
 * more-fragments set), and *first to 0 for a non-first fragment. Returns a parse result.
 *
 * The walk stops at the fragment header of a real fragment: what follows it is the
 * fragmentable part of the datagram, which in a later fragment is not a header at all (its
 * bytes are the middle of the payload, however the next-header field names them). Stopping
 * there for every fragment, first or later, also gives all fragments of a datagram the same
 * *nh: the fragment header's next header. */
BATON_INLINE int baton_skip_ext6(const bt_u8 **pp, const bt_u8 *base, const bt_u8 *end,
                                 const bt_u8 *lim, bt_u8 *nh, int *frag, int *first) {
  const bt_u8 *p = *pp;
  bt_u8 next = *nh;
  int i;
#if defined(__bpf__)
#pragma unroll
#endif
  for (i = 0; i < BATON_MAX_EXTHDRS; i++) {
    bt_u32 len;
    BATON_REBASE(p, base);
    if (next == BATON_IPPROTO_FRAGMENT) {
      bt_u16 off_m;
      if (BATON_PAST(p, 8, end, lim)) return BATON_ERR_EXT_TRUNC;
      off_m = baton_be16(p + 2);
      next = p[0];
      p += 8;
      if ((off_m & 0xFFF8) != 0 || (off_m & 1) != 0) {
        *frag = 1;
        if ((off_m & 0xFFF8) != 0) *first = 0;
        *pp = p;
        *nh = next;
        return BATON_PARSE_OK;
      }
      continue; /* an atomic fragment (RFC 6946): the headers after it are the packet's */
    }
    if (next == BATON_IPPROTO_HOPOPTS || next == BATON_IPPROTO_ROUTING ||
        next == BATON_IPPROTO_DSTOPTS || next == BATON_IPPROTO_MH) {
      if (BATON_PAST(p, 8, end, lim)) return BATON_ERR_EXT_TRUNC;
      len = ((bt_u32)p[1] + 1) * 8;
    } else if (next == BATON_IPPROTO_AH) {
      if (BATON_PAST(p, 8, end, lim)) return BATON_ERR_EXT_TRUNC;
      len = ((bt_u32)p[1] + 2) * 4;
    } else {
      *pp = p;
      *nh = next;
      return BATON_PARSE_OK;
    }
    if (BATON_PAST(p, len, end, lim)) return BATON_ERR_EXT_TRUNC;
    next = p[0];
    p += len;
  }
  if (next == BATON_IPPROTO_FRAGMENT || next == BATON_IPPROTO_HOPOPTS ||
      next == BATON_IPPROTO_ROUTING || next == BATON_IPPROTO_DSTOPTS ||
      next == BATON_IPPROTO_MH || next == BATON_IPPROTO_AH)
    return BATON_ERR_EXT_DEPTH;
  *pp = p;
  *nh = next;
  return BATON_PARSE_OK;
}

/* Reads the ports of an upper-layer header at p, if the protocol has them. */
BATON_INLINE int baton_read_ports(const bt_u8 *p, const bt_u8 *end, const bt_u8 *lim,
                                  bt_u8 proto, bt_u16 *sport, bt_u16 *dport, int need_full) {
  /* One constant-size check per protocol: the verifier needs to see each bound. Each full
   * header check covers the 4 bytes of ports, so the 4-byte check is made only without one. */
  if (need_full && proto == BATON_IPPROTO_TCP) {
    bt_u32 doff;
    if (BATON_PAST(p, 20, end, lim)) return BATON_ERR_L4_TRUNC;
    doff = (bt_u32)(p[12] >> 4);
    if (doff < 5) return BATON_ERR_TCP_DOFF;
    if (BATON_PAST(p, doff * 4, end, lim)) return BATON_ERR_L4_TRUNC;
  } else if (need_full && proto == BATON_IPPROTO_UDP) {
    if (BATON_PAST(p, 8, end, lim)) return BATON_ERR_L4_TRUNC;
  } else if (need_full && proto == BATON_IPPROTO_SCTP) {
    if (BATON_PAST(p, 12, end, lim)) return BATON_ERR_L4_TRUNC;
  } else if (BATON_PAST(p, 4, end, lim)) {
    return BATON_ERR_L4_TRUNC;
  }
  *sport = baton_be16(p);
  *dport = baton_be16(p + 2);
  return BATON_PARSE_OK;
}

/* Parses the IP packet embedded in an ICMP error (starting at p) into pkt's flow fields. */
BATON_INLINE int baton_parse_inner(const bt_u8 *p, const bt_u8 *base, const bt_u8 *end,
                                   const bt_u8 *lim, int family,
                                    struct baton_pkt *pkt) {
  bt_u8 proto;
  int frag = 0, first = 1;
  if (family == 4) {
    bt_u32 ihl;
    bt_u16 frag_field;
    if (BATON_PAST(p, 20, end, lim)) return BATON_ERR_ICMP_INNER;
    if ((p[0] >> 4) != 4) return BATON_ERR_ICMP_INNER;
    ihl = (bt_u32)(p[0] & 0x0F) * 4;
    if (ihl < 20) return BATON_ERR_ICMP_INNER;
    if (BATON_PAST(p, ihl, end, lim)) return BATON_ERR_ICMP_INNER;
    proto = p[9];
    frag_field = baton_be16(p + 6);
    if ((frag_field & 0x3FFF) != 0) {
      frag = 1;
      if ((frag_field & 0x1FFF) != 0) first = 0;
    }
    pkt->src[0] = baton_be32(p + 12);
    pkt->dst[0] = baton_be32(p + 16);
    p += ihl;
  } else {
    int rc;
    if (BATON_PAST(p, 40, end, lim)) return BATON_ERR_ICMP_INNER;
    if ((p[0] >> 4) != 6) return BATON_ERR_ICMP_INNER;
    proto = p[6];
    pkt->src[0] = baton_be32(p + 8);
    pkt->src[1] = baton_be32(p + 12);
    pkt->src[2] = baton_be32(p + 16);
    pkt->src[3] = baton_be32(p + 20);
    pkt->dst[0] = baton_be32(p + 24);
    pkt->dst[1] = baton_be32(p + 28);
    pkt->dst[2] = baton_be32(p + 32);
    pkt->dst[3] = baton_be32(p + 36);
    p += 40;
    rc = baton_skip_ext6(&p, base, end, lim, &proto, &frag, &first);
    if (rc != BATON_PARSE_OK) return BATON_ERR_ICMP_INNER;
  }
  pkt->proto = proto;
  if (frag) pkt->flags |= BATON_PKT_FRAGMENT;
  if (!frag && baton_proto_has_ports(proto)) {
    /* The embedded transport header is often cut after 8 bytes: only the ports are needed. */
    if (baton_read_ports(p, end, lim, proto, &pkt->sport, &pkt->dport, 0) != BATON_PARSE_OK)
      return BATON_ERR_ICMP_INNER;
    pkt->flags |= BATON_PKT_HAS_PORTS;
  }
  return BATON_PARSE_OK;
}

/* Parses the frame [data, data_end). Fills *pkt and returns BATON_PARSE_OK, or returns
 * BATON_PARSE_NOT_IP or an error naming what was wrong. Never reads outside the frame. */
BATON_INLINE int baton_parse(const void *data, const void *data_end, struct baton_pkt *pkt) {
  const bt_u8 *p = (const bt_u8 *)data;
  const bt_u8 *end = (const bt_u8 *)data_end; /* narrowed to the IP datagram below */
  const bt_u8 *lim = (const bt_u8 *)data_end;
  const bt_u8 *l3;
  bt_u16 eth_type;
  bt_u8 proto;
  int frag = 0, first = 1, i;

  pkt->src[0] = pkt->src[1] = pkt->src[2] = pkt->src[3] = 0;
  pkt->dst[0] = pkt->dst[1] = pkt->dst[2] = pkt->dst[3] = 0;
  pkt->sport = pkt->dport = 0;
  pkt->flags = 0;
  pkt->vlans = 0;
  pkt->pad = 0;
  pkt->family = 0;
  pkt->proto = pkt->outer_proto = 0;
  pkt->ttl = 0;
  pkt->l3_off = 0;
  pkt->ethertype = 0;

  if (p + 14 > end) return BATON_ERR_ETH_TRUNC;
  eth_type = baton_be16(p + 12);
  p += 14;
#if defined(__bpf__)
#pragma unroll
#endif
  for (i = 0; i < BATON_MAX_VLANS; i++) {
    if (eth_type != BATON_ETH_P_8021Q && eth_type != BATON_ETH_P_8021AD) break;
    if (p + 4 > end) return BATON_ERR_VLAN_TRUNC;
    eth_type = baton_be16(p + 2);
    p += 4;
    pkt->vlans++;
  }
  if (eth_type == BATON_ETH_P_8021Q || eth_type == BATON_ETH_P_8021AD)
    return BATON_ERR_VLAN_DEPTH;
  pkt->ethertype = eth_type;
  pkt->l3_off = (bt_u16)(p - (const bt_u8 *)data);
  l3 = p;

  if (eth_type == BATON_ETH_P_IP) {
    bt_u32 ihl, tot_len;
    bt_u16 frag_field;
    if (p + 20 > end) return BATON_ERR_IP4_TRUNC;
    if ((p[0] >> 4) != 4) return BATON_ERR_IP4_VERSION;
    ihl = (bt_u32)(p[0] & 0x0F) * 4;
    if (ihl < 20) return BATON_ERR_IP4_IHL;
    if (p + ihl > end) return BATON_ERR_IP4_TRUNC;
    tot_len = baton_be16(p + 2);
    if (tot_len < ihl) return BATON_ERR_IP4_LEN;
    if (p + tot_len > end) return BATON_ERR_IP4_TRUNC;
    end = p + tot_len; /* Ethernet padding is not payload */
    pkt->family = 4;
    pkt->ttl = p[8];
    proto = p[9];
    frag_field = baton_be16(p + 6);
    if ((frag_field & 0x3FFF) != 0) {
      frag = 1;
      if ((frag_field & 0x1FFF) != 0) first = 0;
    }
    pkt->src[0] = baton_be32(p + 12);
    pkt->dst[0] = baton_be32(p + 16);
    p += ihl;
  } else if (eth_type == BATON_ETH_P_IPV6) {
    bt_u32 plen;
    int rc;
    if (p + 40 > end) return BATON_ERR_IP6_TRUNC;
    if ((p[0] >> 4) != 6) return BATON_ERR_IP6_VERSION;
    plen = baton_be16(p + 4);
    if (p + 40 + plen > end) return BATON_ERR_IP6_TRUNC;
    end = p + 40 + plen;
    pkt->family = 6;
    pkt->ttl = p[7];
    proto = p[6];
    pkt->src[0] = baton_be32(p + 8);
    pkt->src[1] = baton_be32(p + 12);
    pkt->src[2] = baton_be32(p + 16);
    pkt->src[3] = baton_be32(p + 20);
    pkt->dst[0] = baton_be32(p + 24);
    pkt->dst[1] = baton_be32(p + 28);
    pkt->dst[2] = baton_be32(p + 32);
    pkt->dst[3] = baton_be32(p + 36);
    p += 40;
    rc = baton_skip_ext6(&p, (const bt_u8 *)data, end, lim, &proto, &frag, &first);
    if (rc != BATON_PARSE_OK) return rc;
  } else {
    return BATON_PARSE_NOT_IP;
  }
  (void)l3;
  pkt->proto = proto;
  pkt->outer_proto = proto;

  if (frag) {
    /* Fragments are flows of their addresses: nothing past the IP header is read. */
    pkt->flags |= BATON_PKT_FRAGMENT;
    return BATON_PARSE_OK;
  }
  if (baton_proto_has_ports(proto)) {
    int rc = baton_read_ports(p, end, lim, proto, &pkt->sport, &pkt->dport, 1);
    if (rc != BATON_PARSE_OK) return rc;
    pkt->flags |= BATON_PKT_HAS_PORTS;
    return BATON_PARSE_OK;
  }
  if (proto == BATON_IPPROTO_ICMP || proto == BATON_IPPROTO_ICMPV6) {
    int is_err;
    if (BATON_PAST(p, 8, end, lim)) return BATON_ERR_L4_TRUNC;
    if (proto == BATON_IPPROTO_ICMP) {
      if (pkt->family != 4) return BATON_PARSE_OK; /* ICMPv4 over IPv6: addresses only */
      is_err = baton_icmp4_is_error(p[0]);
    } else {
      if (pkt->family != 6) return BATON_PARSE_OK;
      is_err = baton_icmp6_is_error(p[0]);
    }
    if (!is_err) return BATON_PARSE_OK;
    pkt->flags |= BATON_PKT_ICMP_ERROR;
    pkt->src[0] = pkt->src[1] = pkt->src[2] = pkt->src[3] = 0;
    pkt->dst[0] = pkt->dst[1] = pkt->dst[2] = pkt->dst[3] = 0;
    return baton_parse_inner(p + 8, (const bt_u8 *)data, end, lim, pkt->family, pkt);
  }
  return BATON_PARSE_OK;
}

/* ---- the symmetric hash ---------------------------------------------------------------- */

#define BATON_HASH_SEED_DEFAULT 0x9E3779B9u

BATON_INLINE bt_u32 baton_rotl32(bt_u32 x, int r) {
  return (x << r) | (x >> (32 - r));
}

/* One MurmurHash3 (x86_32) block step. */
BATON_INLINE bt_u32 baton_mix(bt_u32 h, bt_u32 k) {
  k *= 0xCC9E2D51u;
  k = baton_rotl32(k, 15);
  k *= 0x1B873593u;
  h ^= k;
  h = baton_rotl32(h, 13);
  return h * 5 + 0xE6546B64u;
}

BATON_INLINE bt_u32 baton_fmix(bt_u32 h, bt_u32 len) {
  h ^= len;
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

/* One step of a lexicographic compare, most significant word last: given le (1 if the less
 * significant words of a are <= those of b), returns 1 if a's words from this one down are
 * <= b's. It is the borrow of a - b - le in 64 bits: a < b borrows, a == b borrows exactly
 * when le is 1. No compare, so no branch: BPF has no set-on-condition instruction, and clang
 * turns every `a < b` into a branch around a move (nine of them for IPv6, which the verifier
 * walks on every path through the IPv6 parser, and random flows mispredict). */
BATON_INLINE bt_u32 baton_le_step(bt_u32 a, bt_u32 b, bt_u32 le) {
  return (bt_u32)(((bt_u64)a - (bt_u64)b - le) >> 63);
}

/* Flow hash: a multiply-xor chain over 64-bit words of the canonical flow, then the
 * MurmurHash3 64-bit finalizer. Branch-free canonical order: random flows would mispredict
 * a compare branch half of the time. */
#define BATON_HASH_K 0x9E3779B97F4A7C15ull

BATON_INLINE bt_u64 baton_mix64(bt_u64 h, bt_u64 w) {
  h = (h ^ w) * BATON_HASH_K;
  return h ^ (h >> 32);
}

BATON_INLINE bt_u32 baton_final64(bt_u64 h) {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return (bt_u32)h;
}

/* The flow hash of a parsed packet under a mode, direction-free: the endpoints are ordered by
 * an unsigned compare of the address words, most significant first, then of the port (so
 * addresses 2^31 apart order correctly), and the lower endpoint is hashed first. */
BATON_INLINE bt_u32 baton_flow_hash(const struct baton_pkt *pkt, int mode, bt_u32 seed) {
  bt_u32 use_ports = mode == BATON_MODE_GENERAL_L4 && (pkt->flags & BATON_PKT_HAS_PORTS) &&
                     !(pkt->flags & BATON_PKT_FRAGMENT);
  bt_u32 pmask = (bt_u32)0 - use_ports;
  bt_u32 ps = pkt->sport & pmask, pd = pkt->dport & pmask;
  const bt_u32 *a = pkt->src, *b = pkt->dst;
  bt_u32 le, mask, x, plo;
  bt_u64 h = (bt_u64)seed * BATON_HASH_K;

  le = baton_le_step(ps, pd, 1); /* ps <= pd */
  if (pkt->family == 6) {
    le = baton_le_step(a[3], b[3], le);
    le = baton_le_step(a[2], b[2], le);
    le = baton_le_step(a[1], b[1], le);
    le = baton_le_step(a[0], b[0], le);
    mask = (bt_u32)0 - (le ^ 1); /* all ones: b is the lower end */
    x = (a[0] ^ b[0]) & mask;
    h = baton_mix64(h, ((bt_u64)(a[0] ^ x) << 32) | (b[0] ^ x));
    x = (a[1] ^ b[1]) & mask;
    h = baton_mix64(h, ((bt_u64)(a[1] ^ x) << 32) | (b[1] ^ x));
    x = (a[2] ^ b[2]) & mask;
    h = baton_mix64(h, ((bt_u64)(a[2] ^ x) << 32) | (b[2] ^ x));
    x = (a[3] ^ b[3]) & mask;
    h = baton_mix64(h, ((bt_u64)(a[3] ^ x) << 32) | (b[3] ^ x));
  } else {
    le = baton_le_step(a[0], b[0], le);
    mask = (bt_u32)0 - (le ^ 1);
    x = (a[0] ^ b[0]) & mask;
    h = baton_mix64(h, ((bt_u64)(a[0] ^ x) << 32) | (b[0] ^ x));
  }
  x = (ps ^ pd) & mask;
  plo = ps ^ x;
  h = baton_mix64(h, ((bt_u64)((plo << 16) | (pd ^ x)) << 32) | (pkt->proto & pmask));
  return baton_final64(h);
}

/* Bucket of a hash in a table of m buckets: multiply-shift, no division. */
BATON_INLINE bt_u32 baton_bucket(bt_u32 hash, bt_u32 m) {
  return (bt_u32)(((bt_u64)hash * m) >> 32);
}

#endif /* BATON_FLOW_H */
