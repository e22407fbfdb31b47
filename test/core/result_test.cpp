#include "core/result.hpp"

#include <gtest/gtest.h>

#include "core/crc32c.hpp"
#include "core/log.hpp"

namespace baton {
namespace {

Result<int> half(int x) {
  if (x % 2) return err("{} is odd", x);
  return x / 2;
}

TEST(Result, CarriesValueOrMessage) {
  auto a = half(10);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 5);
  auto b = half(7);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().message, "7 is odd");
}

TEST(Result, VoidStatus) {
  Status ok;
  EXPECT_TRUE(ok.ok());
  Status bad = err("nope {}", 1);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "nope 1");
}

TEST(ResultDeathTest, ValueOfErrorAbortsWithMessage) {
  EXPECT_DEATH({ (void)half(3).value(); }, "3 is odd");
}

TEST(Crc32c, KnownVector) {
  const std::string s = "123456789";
  EXPECT_EQ(crc32c({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}), 0xE3069283u);
}

TEST(Log, ParsesLevelsAndRejectsUnknownWithTheName) {
  EXPECT_EQ(*log::parse_level("debug"), spdlog::level::debug);
  auto bad = log::parse_level("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("loud"), std::string::npos);
}

}  // namespace
}  // namespace baton
