#include "dist/table_wire.hpp"

#include <cstring>

#include "core/crc32c.hpp"

namespace baton::dist {
namespace {

constexpr std::uint8_t kMagic[4] = {'B', 'T', 'B', 'L'};
constexpr std::size_t kHeaderBytes = 4 + 1 + 1 + 2 + 8 + 4 + 4;  // ... + body length
constexpr std::size_t kCrcBytes = 4;

class Writer {
 public:
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void bytes(const std::uint8_t* p, std::size_t n) { out_.insert(out_.end(), p, p + n); }
  std::vector<std::uint8_t>& data() { return out_; }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  std::vector<std::uint8_t> out_;
};

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  bool has(std::size_t n) const { return in_.size() - pos_ >= n; }
  std::size_t left() const { return in_.size() - pos_; }
  std::uint8_t u8() { return in_[pos_++]; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  std::size_t pos() const { return pos_; }

 private:
  std::uint64_t get(int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= std::uint64_t{in_[pos_++]} << (8 * i);
    return v;
  }
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

}  // namespace

std::vector<std::uint8_t> encode_table(const Table& t, TableWireKind kind) {
  Writer body;
  body.u16(static_cast<std::uint16_t>(t.base_members().size()));
  for (const auto& m : t.base_members()) {
    body.u16(m.id);
    body.u16(static_cast<std::uint16_t>(m.weight));
  }
  body.u16(static_cast<std::uint16_t>(t.failed().size()));
  for (MemberId f : t.failed()) body.u16(f);
  if (kind == TableWireKind::buckets)
    for (MemberId o : t.buckets()) body.u16(o);

  Writer w;
  w.bytes(kMagic, 4);
  w.u8(kTableWireVersion);
  w.u8(static_cast<std::uint8_t>(kind));
  w.u16(0);  // flags, none defined in v1
  w.u64(t.generation());
  w.u32(t.size());
  w.u32(static_cast<std::uint32_t>(body.data().size()));
  w.bytes(body.data().data(), body.data().size());
  std::uint32_t crc = crc32c(w.data());
  w.u32(crc);
  return std::move(w.data());
}

Result<Table> decode_table(std::span<const std::uint8_t> wire) {
  if (wire.size() > kTableWireMaxBytes)
    return err("table message of {} bytes exceeds the {} byte limit", wire.size(),
               kTableWireMaxBytes);
  if (wire.size() < kHeaderBytes + kCrcBytes)
    return err("table message truncated: {} bytes, header and checksum need {}", wire.size(),
               kHeaderBytes + kCrcBytes);
  if (std::memcmp(wire.data(), kMagic, 4) != 0) return err("not a table message (bad magic)");
  Reader r(wire.subspan(4));
  std::uint8_t version = r.u8();
  if (version != kTableWireVersion)
    return err("table message version {} not supported (this build speaks {})", version,
               kTableWireVersion);
  std::uint8_t kind = r.u8();
  if (kind != static_cast<std::uint8_t>(TableWireKind::inputs) &&
      kind != static_cast<std::uint8_t>(TableWireKind::buckets))
    return err("table message kind {} unknown", kind);
  std::uint16_t flags = r.u16();
  if (flags != 0) return err("table message flags {:#x} not defined in version 1", flags);
  std::uint64_t generation = r.u64();
  std::uint32_t buckets = r.u32();
  std::uint32_t body_len = r.u32();
  if (wire.size() != kHeaderBytes + body_len + kCrcBytes)
    return err("table message length mismatch: header says {} body bytes, message has {}",
               body_len, wire.size() - kHeaderBytes - std::min(wire.size() - kHeaderBytes, kCrcBytes));
  std::size_t crc_at = kHeaderBytes + body_len;
  std::uint32_t want = static_cast<std::uint32_t>(wire[crc_at]) |
                       static_cast<std::uint32_t>(wire[crc_at + 1]) << 8 |
                       static_cast<std::uint32_t>(wire[crc_at + 2]) << 16 |
                       static_cast<std::uint32_t>(wire[crc_at + 3]) << 24;
  if (crc32c(wire.first(crc_at)) != want) return err("table message checksum mismatch");
  if (buckets < 2 || buckets > kMaxBuckets || !is_prime(buckets))
    return err("table message bucket count {} is not a prime between 2 and {}", buckets,
               kMaxBuckets);

  Reader b(wire.subspan(kHeaderBytes, body_len));
  if (!b.has(2)) return err("table message body truncated before the member count");
  std::uint16_t nmembers = b.u16();
  if (nmembers > kMaxMembers)
    return err("table message lists {} members, more than the supported {}", nmembers,
               kMaxMembers);
  if (!b.has(std::size_t{nmembers} * 4)) return err("table message body truncated in the member list");
  std::vector<MemberSpec> base(nmembers);
  for (auto& m : base) {
    m.id = b.u16();
    m.weight = b.u16();
  }
  if (!b.has(2)) return err("table message body truncated before the failed count");
  std::uint16_t nfailed = b.u16();
  if (nfailed > nmembers)
    return err("table message lists {} failed members of {}", nfailed, nmembers);
  if (!b.has(std::size_t{nfailed} * 2)) return err("table message body truncated in the failed list");
  std::vector<MemberId> failed(nfailed);
  for (auto& f : failed) f = b.u16();

  std::size_t expect_left = kind == static_cast<std::uint8_t>(TableWireKind::buckets)
                                ? std::size_t{buckets} * 2 : 0;
  if (b.left() != expect_left)
    return err("table message body has {} bytes after the member lists, expected {}", b.left(),
               expect_left);
  auto t = Table::replay(base, failed, buckets, generation);
  if (!t) return err("table message content rejected: {}", t.error().message);
  if (expect_left != 0) {
    for (std::uint32_t i = 0; i < buckets; ++i) {
      MemberId o = b.u16();
      if (o != t->owner(i))
        return err("table message bucket {} owner {} differs from the rebuilt owner {}", i, o,
                   t->owner(i));
    }
  }
  return t;
}

}  // namespace baton::dist
