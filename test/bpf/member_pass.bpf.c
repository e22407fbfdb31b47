/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0) */
/* On a member's veth in namespace tests: XDP_PASS, so that frames redirected into the veth
 * from the orchestrator's XDP program are accepted (veth needs an XDP program on the peer). */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int member_pass(struct xdp_md *ctx) {
  (void)ctx;
  return XDP_PASS;
}
