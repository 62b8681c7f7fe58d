// HTTPS end to end: the server with a certificate made for 127.0.0.1 by the
// openssl command, the pooled client verifying it against that certificate.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/random.h"
#include "http/client.h"
#include "http/server.h"

namespace hydra::http {
namespace {

namespace fs = std::filesystem;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hydra-tls-" + random_hex(6));
    fs::create_directories(dir_);
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " +
        (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0)
        << "openssl must be installed (deps/debian-packages.txt)";
    ServerOptions o;
    o.port = 0;
    o.access_log = false;
    o.tls_cert = (dir_ / "cert.pem").string();
    o.tls_key = (dir_ / "key.pem").string();
    Router r;
    r.add("GET", "/hello", [](Request&) { return Response::text(200, "secure hello"); });
    server_ = std::make_unique<Server>(o, std::move(r), std::make_shared<Metrics>());
    server_->start();
  }
  void TearDown() override {
    server_->shutdown(1000);
    fs::remove_all(dir_);
  }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(server_->port()) + "/hello";
  }

  fs::path dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsTest, ClientVerifiesTheServerAndReusesTheConnection) {
  ClientOptions o;
  o.ca_file = (dir_ / "cert.pem").string();
  Client c(o);
  for (int i = 0; i < 3; ++i) {
    auto r = c.get(url());
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "secure hello");
  }
  EXPECT_EQ(c.idle_connections(), 1u);
}

TEST_F(TlsTest, UntrustedCertificateIsRefused) {
  Client c;  // system trust store only: the self-signed certificate is unknown
  EXPECT_THROW(c.get(url()), std::runtime_error);
}

TEST_F(TlsTest, PlainHttpToTheTlsPortFails) {
  Client c;
  ClientRequest req{
      "GET", "http://127.0.0.1:" + std::to_string(server_->port()) + "/hello", {}, {}};
  bool failed = false;
  try {
    failed = c.send(req).status == 200 ? false : true;
  } catch (const std::runtime_error&) {
    failed = true;
  }
  EXPECT_TRUE(failed);
}

}  // namespace
}  // namespace hydra::http
