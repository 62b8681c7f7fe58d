#include "catalog/import_source.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace hydra::catalog {
namespace {

const char* kYaml = "metadata: {name: up}\n";

std::string form(const std::string& boundary, const std::string& field,
                 const std::string& content) {
  return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n" +
         "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field +
         "\"; filename=\"index.yaml\"\r\nContent-Type: application/yaml\r\n\r\n" + content +
         "\r\n--" + boundary + "--\r\n";
}

UrlFetcher no_fetch() {
  return [](const std::string& url) -> std::string {
    ADD_FAILURE() << "unexpected fetch of " << url;
    return "";
  };
}

TEST(ImportSource, PlainBodyIsTheYaml) {
  EXPECT_EQ(import_text("application/yaml", kYaml, no_fetch()), kYaml);
  EXPECT_EQ(import_text("", kYaml, no_fetch()), kYaml);
  EXPECT_THROW(import_text("text/yaml", "  \n", no_fetch()), ApiError);
}

TEST(ImportSource, MultipartFileField) {
  std::string body = form("XyZ", "file", kYaml);
  EXPECT_EQ(import_text("multipart/form-data; boundary=XyZ", body, no_fetch()), kYaml);
  EXPECT_EQ(import_text("multipart/form-data; boundary=\"XyZ\"", body, no_fetch()), kYaml);
  // Content that itself contains CRLF and dashes survives.
  std::string tricky = "a: 1\r\n--X\r\nb: 2";
  EXPECT_EQ(
      multipart_field("multipart/form-data; boundary=XyZ", form("XyZ", "file", tricky), "file"),
      tricky);
  EXPECT_THROW(
      import_text("multipart/form-data; boundary=XyZ", form("XyZ", "other", kYaml), no_fetch()),
      ApiError);
  EXPECT_THROW(import_text("multipart/form-data", body, no_fetch()), ApiError);
  EXPECT_THROW(import_text("multipart/form-data; boundary=XyZ", "garbage", no_fetch()), ApiError);
  EXPECT_THROW(import_text("multipart/form-data; boundary=XyZ", "--XyZ\r\nno end", no_fetch()),
               ApiError);
}

TEST(ImportSource, JsonUrlOrYaml) {
  std::string fetched;
  UrlFetcher fetch = [&](const std::string& url) {
    fetched = url;
    return std::string(kYaml);
  };
  EXPECT_EQ(
      import_text("application/json", R"({"url":"https://hub.example.com/index.yaml"})", fetch),
      kYaml);
  EXPECT_EQ(fetched, "https://hub.example.com/index.yaml");
  EXPECT_EQ(import_text("application/json; charset=utf-8", R"({"yaml":"metadata: {name: up}\n"})",
                        no_fetch()),
            kYaml);
  EXPECT_THROW(import_text("application/json", R"({})", no_fetch()), ApiError);
  EXPECT_THROW(import_text("application/json", R"({"url":"a","yaml":"b"})", no_fetch()), ApiError);
  EXPECT_THROW(import_text("application/json", R"({"link":"x"})", no_fetch()), ApiError);
  EXPECT_THROW(import_text("application/json", "{not json", no_fetch()), ApiError);
}

TEST(ImportSource, FetchFailuresAreClearParamErrors) {
  try {
    fetch_import_url("file:///etc/passwd");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParamError);
  }
  try {
    // Port 1 on loopback: connection refused, quickly.
    fetch_import_url("http://127.0.0.1:1/index.yaml");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.code(), ErrorCode::kParamError);
    EXPECT_NE(std::string(e.what()).find("could not fetch"), std::string::npos);
  }
}

}  // namespace
}  // namespace hydra::catalog
