#include "vrrp/io/status_file.hpp"

#include <cstdio>
#include <fstream>

namespace baton::vrrp::io {

Status write_status_file(const std::string& path, const nlohmann::json& status) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return err("status file {}: cannot write", tmp);
    out << status.dump(2) << '\n';
    if (!out) return err("status file {}: write failed", tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return err("status file {}: rename failed", path);
  return {};
}

}  // namespace baton::vrrp::io
