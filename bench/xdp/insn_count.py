#!/usr/bin/env python3
"""insn_count.py — how many BPF instructions baton_xdp executes per benchmark frame.

Runs the compiled object (build/src/bpf/baton_xdp.bpf.o, before the verifier) in a small BPF
interpreter on the three frames of baton_xdp_bench (ipv4-tcp, ipv6-udp, local-pass) with the
maps and baton_g filled as the bench fills them, and prints the instructions executed, the
verdict, the helper calls made and a signature of what the packet did (rewritten frame,
redirect key, counter keys) to compare two builds. A deterministic companion to the timings,
which on a shared VM move by several ns: fewer instructions, fewer ns (about 0.1-0.15 ns per
instruction on the development VM).

Not counted: the verifier's inlining (an array lookup `call 1` becomes ~6 instructions, a
per-CPU one ~8) and what the JIT makes of each instruction. Map lookups return zeroed 4 KiB
values unless set below; hash maps return NULL unless set.

Usage: bench/xdp/insn_count.py build/src/bpf/baton_xdp.bpf.o [-v]
"""
import hashlib
import socket
import struct
import sys


def elf_sections(b):
    shoff, = struct.unpack_from('<Q', b, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from('<HHH', b, 0x3A)
    secs = []
    for i in range(shnum):
        name, typ, flags, addr, off, size, link, info, align, entsize = struct.unpack_from('<IIQQQQIIQQ', b, shoff + i*shentsize)
        secs.append(dict(name=name, type=typ, off=off, size=size, link=link, info=info, entsize=entsize))
    strtab = secs[shstrndx]
    for s in secs:
        e = b.index(b'\0', strtab['off'] + s['name'])
        s['sname'] = b[strtab['off'] + s['name']:e].decode()
    return secs

def load(path, prog='xdp'):
    b = open(path, 'rb').read()
    secs = elf_sections(b)
    symtab = [s for s in secs if s['type'] == 2][0]
    strt = secs[symtab['link']]
    syms = []
    for i in range(symtab['size'] // 24):
        name, info, other, shndx, value, size = struct.unpack_from('<IBBHQQ', b, symtab['off'] + i*24)
        e = b.index(b'\0', strt['off'] + name)
        syms.append((b[strt['off']+name:e].decode(), shndx, value, info))
    text = [ (i,s) for i,s in enumerate(secs) if s['sname'] == prog][0]
    code = b[text[1]['off']:text[1]['off']+text[1]['size']]
    relocs = {}
    for s in secs:
        if s['type'] == 9 and s['info'] == text[0]:
            for i in range(s['size'] // 16):
                off, info = struct.unpack_from('<QQ', b, s['off'] + i*16)
                sym = syms[info >> 32]
                relocs[off // 8] = (sym[0] if sym[0] else secs[sym[1]]['sname'], secs[sym[1]]['sname'], sym[2], sym[1])
    sections = {s['sname']: b[s['off']:s['off']+s['size']] if s['type'] != 8 else bytes(s['size']) for s in secs}
    return code, relocs, sections

class Mem:
    def __init__(self):
        self.regions = []  # (base, bytearray)
        self.next = 0x10000
    def alloc(self, data, align=0x1000):
        base = self.next
        self.next += (len(data) + align + 0xFFF) & ~0xFFF
        self.regions.append((base, data))
        return base
    def find(self, addr, n):
        for base, d in self.regions:
            if base <= addr and addr + n <= base + len(d):
                return d, addr - base
        raise Exception('bad access %x/%d' % (addr, n))
    def rd(self, addr, n):
        d, o = self.find(addr, n)
        return int.from_bytes(d[o:o+n], 'little')
    def wr(self, addr, n, v):
        d, o = self.find(addr, n)
        d[o:o+n] = (v & ((1 << (8*n)) - 1)).to_bytes(n, 'little')

M64 = (1 << 64) - 1
def s64(x): x &= M64; return x - (1 << 64) if x >> 63 else x
def s32(x): x &= 0xFFFFFFFF; return x - (1 << 32) if x >> 31 else x

def run(code, relocs, sections, frame, ifindex, mapcfg, trace=None):
    mem = Mem()
    pkt = bytearray(256) + bytearray(frame)
    pbase = mem.alloc(pkt)
    data = pbase + 256
    data_end = data + len(frame)
    ctx = bytearray(24)
    struct.pack_into('<IIIIII', ctx, 0, data, data_end, pbase, ifindex, 0, 0)
    cbase = mem.alloc(ctx)
    stack = bytearray(512)
    sbase = mem.alloc(stack)
    secbase = {}
    mapbufs = {}
    regs = [0]*11
    regs[1] = cbase
    regs[10] = sbase + 512
    pc = 0
    n = 0
    calls = []
    ninsn = len(code) // 8
    fake_map = {}
    def map_ptr(name):
        if name not in fake_map:
            fake_map[name] = 0xF000_0000 + len(fake_map) * 0x100
        return fake_map[name]
    ptr_map = {}
    while True:
        op, regs_b, off, imm = struct.unpack_from('<BBhi', code, pc*8)
        dst, src = regs_b & 0xF, regs_b >> 4
        n += 1
        if trace is not None: trace.append(pc)
        cls = op & 7
        if op == 0x18:
            imm2, = struct.unpack_from('<i', code, pc*8 + 12)
            v = (imm & 0xFFFFFFFF) | ((imm2 & 0xFFFFFFFF) << 32)
            if pc in relocs:
                name, secname, symval, shndx = relocs[pc]
                if secname == '.maps':
                    v = map_ptr(name); ptr_map[v] = name
                else:
                    if secname not in secbase:
                        buf = bytearray(sections[secname])
                        if secname in mapcfg.get('_sections', {}):
                            for o, val in mapcfg['_sections'][secname]: buf[o:o+len(val)] = val
                        secbase[secname] = mem.alloc(buf)
                    v = secbase[secname] + symval + (imm & 0xFFFFFFFF)
            regs[dst] = v & M64
            pc += 2
            continue
        if cls in (4, 7):  # ALU / ALU64
            is64 = cls == 7
            srcv = regs[src] if op & 8 else (imm & M64 if is64 else imm & 0xFFFFFFFF)
            if op & 8 == 0 and is64: srcv = s64(imm) & M64
            a = regs[dst] if is64 else regs[dst] & 0xFFFFFFFF
            bv = srcv if is64 else srcv & 0xFFFFFFFF
            mask = M64 if is64 else 0xFFFFFFFF
            bits = 64 if is64 else 32
            code_op = op & 0xF0
            if code_op == 0x00: r = a + bv
            elif code_op == 0x10: r = a - bv
            elif code_op == 0x20: r = a * bv
            elif code_op == 0x30: r = a // bv if bv else 0
            elif code_op == 0x40: r = a | bv
            elif code_op == 0x50: r = a & bv
            elif code_op == 0x60: r = a << (bv & (bits-1))
            elif code_op == 0x70: r = a >> (bv & (bits-1))
            elif code_op == 0x80: r = -a
            elif code_op == 0x90: r = a % bv if bv else a
            elif code_op == 0xa0: r = a ^ bv
            elif code_op == 0xb0: r = bv
            elif code_op == 0xc0:
                sa = s64(a) if is64 else s32(a)
                r = sa >> (bv & (bits-1))
            elif code_op == 0xd0:  # endian
                w = imm
                if op & 8:  # to be
                    v = regs[dst] & ((1 << w) - 1)
                    r = int.from_bytes(v.to_bytes(w//8, 'little'), 'big')
                else:
                    r = regs[dst] & ((1 << w) - 1)
                regs[dst] = r & M64; pc += 1; continue
            else: raise Exception('alu op %x' % op)
            regs[dst] = r & mask
            pc += 1; continue
        if cls in (5, 6):  # JMP / JMP32
            code_op = op & 0xF0
            if code_op == 0x00: pc += off + 1; continue
            if code_op == 0x90:  # exit
                return n, regs[0], calls + [('frame', bytes(pkt[256:]).hex())]
            if code_op == 0x80:
                if imm == 1:  # map_lookup_elem
                    name = ptr_map[regs[1]]
                    key = mem.rd(regs[2], 4) if name not in ('baton_local6',) else mem.rd(regs[2], 16)
                    calls.append((name, key))
                    cfg = mapcfg.get(name, {})
                    if cfg.get('hash'):
                        val = cfg.get(key)
                        if val is None: regs[0] = 0
                        else:
                            kk = (name, key)
                            if kk not in mapbufs: mapbufs[kk] = mem.alloc(bytearray(val) + bytearray(64))
                            regs[0] = mapbufs[kk]
                    else:
                        kk = (name, key)
                        if kk not in mapbufs:
                            buf = bytearray(4096)
                            v = cfg.get(key, cfg.get('default'))
                            if v is not None: buf[:len(v)] = v
                            mapbufs[kk] = mem.alloc(buf)
                        regs[0] = mapbufs[kk]
                elif imm == 51:
                    calls.append(('redirect_map', regs[2]))
                    regs[0] = 4
                else: raise Exception('helper %d' % imm)
                for r_ in range(1, 6): regs[r_] = 0xDEAD
                pc += 1; continue
            is64 = cls == 5
            a = regs[dst] if is64 else regs[dst] & 0xFFFFFFFF
            bv = regs[src] if op & 8 else (s64(imm) & M64 if is64 else imm & 0xFFFFFFFF)
            if not is64: bv &= 0xFFFFFFFF
            sa, sb = (s64(a), s64(bv)) if is64 else (s32(a), s32(bv))
            t = {0x10: a == bv, 0x20: a > bv, 0x30: a >= bv, 0x40: (a & bv) != 0, 0x50: a != bv,
                 0x60: sa > sb, 0x70: sa >= sb, 0xa0: a < bv, 0xb0: a <= bv, 0xc0: sa < sb, 0xd0: sa <= sb}[code_op]
            pc += (off + 1) if t else 1
            continue
        size = {0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8}[op & 0x18]
        if cls == 1:  # LDX
            regs[dst] = mem.rd((regs[src] + off) & M64, size); pc += 1; continue
        if cls == 3:  # STX
            mem.wr((regs[dst] + off) & M64, size, regs[src]); pc += 1; continue
        if cls == 2:  # ST
            mem.wr((regs[dst] + off) & M64, size, imm & M64); pc += 1; continue
        raise Exception('op %x at %d' % (op, pc))

def csum(h):
    s = sum(struct.unpack('!%dH' % (len(h)//2), h)); s = (s & 0xFFFF) + (s >> 16); s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

def eth(t): return bytes.fromhex('020000000001020000000002') + struct.pack('!H', t)
def v4(src, dst, proto, l4):
    h = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)))
    struct.pack_into('!H', h, 10, csum(bytes(h)))
    return bytes(h) + l4
def v6(src, dst, nh, l4):
    return struct.pack('!IHBB16s16s', 0x60000000, len(l4), nh, 64, socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)) + l4
def tcp(sp, dp): return struct.pack('!HHIIBBHHH', sp, dp, 1, 0, 0x50, 0x02, 65535, 0, 0)
def udp(sp, dp, pl): return struct.pack('!HHHH', sp, dp, 8 + len(pl), 0) + pl
def pad(f, n=64): return f + bytes(max(0, n - len(f)))

cases = {
 'ipv4-tcp': (pad(eth(0x800) + v4('198.51.100.7', '203.0.113.80', 6, tcp(40000, 443))), False),
 'ipv6-udp': (eth(0x86dd) + v6('2001:db8:1::7', '2001:db8:2::80', 17, udp(40000, 443, b'\0\0')), False),
 'local-pass': (pad(eth(0x800) + v4('198.51.100.7', '192.0.2.10', 6, tcp(40000, 179))), True),
}

def cfg(local):
    """Map contents as baton_xdp_bench sets them: uplink 1 on the ext side, table generation 1
    (65537 buckets, general-l4, default seed), members with ports, 192.0.2.10 own. Also the
    maps of the program before the globals (73b65f7), so that an older object can be counted."""
    st = struct.pack('<II', 0, 0) + struct.pack('<QIIII', 1, 65537, 1, 0x9E3779B9, 0) + bytes(24)
    port = bytes.fromhex('020000000005') + bytes.fromhex('02ff00000000') + struct.pack('<II', 0, 1)
    c = {
      'baton_ifaces': {1: struct.pack('<II', 0, 1)},
      'baton_state': {0: st},
      'baton_table': {'default': struct.pack('<HHHH', 1, 2, 3, 4)},
      'baton_ports': {'default': port},
      'baton_local4': {'hash': True},
      'baton_local6': {'hash': True},
      'baton_local_filter': {0: b'\xff' * 512 if local else bytes(512)},
    }
    if local:
        c['baton_local4'][struct.unpack('<I', socket.inet_aton('192.0.2.10'))[0]] = struct.pack('<I', 1)
    return c


# struct baton_globals (src/bpf/baton_maps.h): state 56 bytes, local_filter 512, then 16384
# ifaces of 8 bytes and 8192 ports of 20 bytes. Checked against the object's .bss size.
G_STATE, G_FILTER, G_IFACES = 0, 56, 56 + 512
G_PORTS = G_IFACES + 16384 * 8
G_SIZE = G_PORTS + 8192 * 20


def globals_cfg(c, sections, local):
    if '.bss' not in sections:
        return  # a program from before the globals: cfg() fills its maps
    if len(sections['.bss']) != G_SIZE:
        sys.exit('insn_count.py: .bss is %d bytes, not struct baton_globals (%d): update the '
                 'layout above' % (len(sections.get('.bss', b'')), G_SIZE))
    st = struct.pack('<II', 0, 0) + struct.pack('<QIIII', 1, 65537, 1, 0x9E3779B9, 0) + bytes(24)
    filt = b'\xff' * 512 if local else bytes(512)
    port = bytes.fromhex('020000000005') + bytes.fromhex('02ff00000000') + struct.pack('<II', 0, 1)
    c['_sections'] = {'.bss': [(G_STATE, st), (G_FILTER, filt), (G_IFACES + 8, struct.pack('<II', 0, 1))]
                      + [(G_PORTS + 20 * 2 * m, port) for m in range(16)]}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    code, relocs, sections = load(sys.argv[1])
    for name, (frame, local) in cases.items():
        c = cfg(local)
        globals_cfg(c, sections, local)
        n, ret, calls = run(code, relocs, sections, frame, 1, c)
        keep = ('redirect_map', 'frame', 'baton_member_stats', 'baton_verdicts')
        sig = hashlib.md5(repr([x for x in calls if x[0] in keep]).encode()).hexdigest()[:8]
        print('%-11s insns %4d verdict %d sig %s calls %s' %
              (name, n, ret, sig, ' '.join(x[0] for x in calls[:-1])))
        if '-v' in sys.argv:
            print('   ', calls)


if __name__ == '__main__':
    main()
