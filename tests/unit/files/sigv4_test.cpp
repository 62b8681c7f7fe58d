// Signature V4 against AWS's published examples: the S3 GetObject example
// of "Signature Calculations for the Authorization Header" (canonical
// request, string to sign, signature and header, all as printed there),
// and get-vanilla cases of the Signature V4 test suite.
#include "files/sigv4.h"

#include <gtest/gtest.h>

namespace hydra::files {
namespace {

constexpr const char* kS3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr const char* kEmptyHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SigV4Request s3_get_object() {
  SigV4Request r;
  r.method = "GET";
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
               {"Range", "bytes=0-9"},
               {"x-amz-content-sha256", kEmptyHash},
               {"x-amz-date", "20130524T000000Z"}};
  r.payload_sha256 = kEmptyHash;
  return r;
}

TEST(SigV4, S3GetObjectExampleCanonicalRequest) {
  EXPECT_EQ(
      canonical_request(s3_get_object()),
      "GET\n"
      "/test.txt\n"
      "\n"
      "host:examplebucket.s3.amazonaws.com\n"
      "range:bytes=0-9\n"
      "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "x-amz-date:20130524T000000Z\n"
      "\n"
      "host;range;x-amz-content-sha256;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigV4, S3GetObjectExampleStringToSign) {
  SigV4Scope scope{"20130524T000000Z", "us-east-1", "s3"};
  EXPECT_EQ(string_to_sign(s3_get_object(), scope),
            "AWS4-HMAC-SHA256\n"
            "20130524T000000Z\n"
            "20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
}

TEST(SigV4, S3GetObjectExampleSignatureAndHeader) {
  SigV4Scope scope{"20130524T000000Z", "us-east-1", "s3"};
  EXPECT_EQ(signature(s3_get_object(), scope, kS3Secret),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  SigV4Credentials c{"AKIAIOSFODNN7EXAMPLE", kS3Secret, ""};
  EXPECT_EQ(authorization(s3_get_object(), scope, c),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

// A changed byte anywhere gives another signature.
TEST(SigV4, AnyChangeChangesTheSignature) {
  SigV4Scope scope{"20130524T000000Z", "us-east-1", "s3"};
  std::string base = signature(s3_get_object(), scope, kS3Secret);
  SigV4Request other = s3_get_object();
  other.path = "/test.txu";
  EXPECT_NE(signature(other, scope, kS3Secret), base);
  SigV4Scope west{"20130524T000000Z", "us-west-2", "s3"};
  EXPECT_NE(signature(s3_get_object(), west, kS3Secret), base);
  EXPECT_NE(signature(s3_get_object(), scope, "another-secret"), base);
}

// The Signature V4 test suite: service "service", AKIDEXAMPLE.
SigV4Request vanilla(std::vector<std::pair<std::string, std::string>> query) {
  SigV4Request r;
  r.path = "/";
  r.query = std::move(query);
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_sha256 = kEmptyHash;
  return r;
}

TEST(SigV4, TestSuiteGetVanilla) {
  SigV4Scope scope{"20150830T123600Z", "us-east-1", "service"};
  SigV4Credentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  EXPECT_EQ(authorization(vanilla({}), scope, c),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
            "SignedHeaders=host;x-amz-date,"
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, TestSuiteQueryParametersAreSortedByName) {
  SigV4Scope scope{"20150830T123600Z", "us-east-1", "service"};
  std::string secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  SigV4Request r = vanilla({{"Param2", "value2"}, {"Param1", "value1"}});
  EXPECT_NE(canonical_request(r).find("\nParam1=value1&Param2=value2\n"), std::string::npos);
  EXPECT_EQ(signature(r, scope, secret),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

// The same page's GET Bucket Lifecycle and GET Bucket (List Objects) examples.
TEST(SigV4, S3BucketExamples) {
  SigV4Scope scope{"20130524T000000Z", "us-east-1", "s3"};
  SigV4Request lifecycle;
  lifecycle.path = "/";
  lifecycle.query = {{"lifecycle", ""}};
  lifecycle.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                       {"x-amz-content-sha256", kEmptyHash},
                       {"x-amz-date", "20130524T000000Z"}};
  lifecycle.payload_sha256 = kEmptyHash;
  EXPECT_EQ(signature(lifecycle, scope, kS3Secret),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
  SigV4Request list = lifecycle;
  list.query = {{"max-keys", "2"}, {"prefix", "J"}};
  EXPECT_EQ(signature(list, scope, kS3Secret),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// The PUT Object example: a signed payload hash and a '$' escaped in the path.
TEST(SigV4, S3PutObjectExample) {
  SigV4Scope scope{"20130524T000000Z", "us-east-1", "s3"};
  SigV4Request put;
  put.method = "PUT";
  put.path = "/test$file.text";
  put.payload_sha256 = sha256_hex_of("Welcome to Amazon S3.");
  EXPECT_EQ(put.payload_sha256, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  put.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                 {"x-amz-date", "20130524T000000Z"},
                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                 {"x-amz-content-sha256", put.payload_sha256}};
  EXPECT_EQ(signature(put, scope, kS3Secret),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, UriEncodingFollowsAwsRules) {
  EXPECT_EQ(aws_uri_encode("a b/c~d.e-f_g", true), "a%20b/c~d.e-f_g");
  EXPECT_EQ(aws_uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(aws_uri_encode("test$file.text", true), "test%24file.text");
  EXPECT_EQ(aws_uri_encode("\xe4\xbd\xa0", true), "%E4%BD%A0");
}

TEST(SigV4, AmzDateIsUtc) {
  EXPECT_EQ(amz_date(1369353600000), "20130524T000000Z");
}

}  // namespace
}  // namespace hydra::files
