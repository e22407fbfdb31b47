// MetricsServer: GET /metrics with cpp-httplib, on a thread of its own plus one worker.
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#include <httplib.h>
#pragma GCC diagnostic pop

#include "api/metrics.hpp"

namespace baton::api {

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Why binding host:port fails: httplib only says that it did, so the bind is tried again here
// to learn errno (with the same options: SO_REUSEADDR, every resolved address).
std::string bind_failure(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res); rc != 0)
    return fmt::format("cannot resolve \"{}\": {}", host, ::gai_strerror(rc));
  std::string why = "no usable address";
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0) {
      why = std::strerror(errno);
    } else if (::listen(fd, 1) != 0) {
      why = std::strerror(errno);
    } else {
      why = "refused by the HTTP library (the address works now; was it busy a moment ago?)";
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return why;
}

}  // namespace

struct MetricsServer::Impl {
  httplib::Server server;
  std::thread thread;
  std::uint16_t port = 0;
  std::atomic<std::uint64_t> scrapes{0};
  std::atomic<bool> finished{false};  // listen_after_bind() returned
};

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::uint16_t MetricsServer::port() const { return impl_->port; }
std::uint64_t MetricsServer::scrapes() const { return impl_->scrapes.load(); }

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& host,
                                                            std::uint16_t port,
                                                            std::function<std::string()> render) {
  if (!render) return err("metrics server: no render function");
  auto impl = std::make_unique<Impl>();
  Impl* raw = impl.get();
  auto& svr = impl->server;
  // One worker: scrapes are answered one at a time, so `render` never runs concurrently.
  svr.new_task_queue = [] { return new httplib::ThreadPool(1); };
  svr.set_read_timeout(5, 0);
  svr.set_write_timeout(5, 0);
  svr.set_keep_alive_max_count(1);
  // httplib's default sets SO_REUSEPORT, which lets a second batond (same uid) bind the same
  // port and silently share the scrapes; SO_REUSEADDR alone allows a quick restart but makes
  // a port that is in use an error.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  svr.Get("/metrics", [raw, render = std::move(render)](const httplib::Request&,
                                                       httplib::Response& res) {
    try {
      res.set_content(render(), kContentType);
      raw->scrapes.fetch_add(1);
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(fmt::format("rendering the metrics failed: {}\n", e.what()), "text/plain");
    }
  });
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404)
      res.set_content(fmt::format("no {} here; metrics are at /metrics\n", req.path),
                      "text/plain");
  });
  if (port == 0) {
    int p = svr.bind_to_any_port(host);
    if (p <= 0)
      return err("metrics: cannot listen on {}:0: {}", host, bind_failure(host, 0));
    impl->port = static_cast<std::uint16_t>(p);
  } else {
    if (!svr.bind_to_port(host, port))
      return err("metrics: cannot listen on {}:{}: {}", host, port, bind_failure(host, port));
    impl->port = port;
  }
  impl->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->finished = true;
  });
  // stop() only works once the loop runs; wait for it so the destructor cannot miss it.
  while (!svr.is_running()) {
    if (impl->finished) {
      impl->thread.join();
      return err("metrics: the HTTP server on {}:{} stopped as it started", host, impl->port);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

}  // namespace baton::api
