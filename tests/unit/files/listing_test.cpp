// Listings from Hugging Face, ModelScope and S3: what real answers look
// like, and the corrupt, truncated and hostile ones that must fail clearly.
#include "files/listing.h"

#include <gtest/gtest.h>

namespace hydra::files {
namespace {

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const SourceError& e) {
    return e.what();
  }
  return "";
}

const char* kSha = "9a3c3c6d1b2fe7a4c29ac0d6a1f5bbd4df4c8f2b40e79c4f1a1c38a6f1e7d2b0";

TEST(HfListing, ReadsSiblingsWithLfsChecksums) {
  std::string json = std::string(R"({"id":"org/tiny","sha":"abc","siblings":[
    {"rfilename":"config.json","size":512,"blobId":"1111"},
    {"rfilename":"sub/model.safetensors","size":4096,"lfs":{"sha256":")") +
                     kSha + R"(","size":4096,"pointerSize":134}}]})";
  auto files = parse_hf_listing(json);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "config.json");
  EXPECT_EQ(files[0].size, 512);
  EXPECT_EQ(files[0].sha256, "");
  EXPECT_EQ(files[1].path, "sub/model.safetensors");
  EXPECT_EQ(files[1].size, 4096);
  EXPECT_EQ(files[1].sha256, kSha);
}

TEST(HfListing, WithoutBlobsSizesAreUnknown) {
  auto files = parse_hf_listing(R"({"siblings":[{"rfilename":"a.txt"}]})");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].size, -1);
}

TEST(HfListing, HostileAndBrokenListingsFailClearly) {
  EXPECT_NE(error_of([] {
              parse_hf_listing(R"({"siblings":[{"rfilename":"../../etc/passwd"}]})");
            }).find("unsafe file path"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_hf_listing(R"({"siblings":[{"rfilename":"/etc/passwd"}]})"); }),
            "");
  EXPECT_NE(error_of([] { parse_hf_listing(R"({"siblings":[{"rfilename":"a//b"}]})"); }), "");
  EXPECT_NE(error_of([] { parse_hf_listing(R"({"siblings":[{"rfilename":"a\\..\\b"}]})"); }), "");
  EXPECT_NE(error_of([] {
              parse_hf_listing(R"({"siblings":[{"rfilename":"a"},{"rfilename":"a"}]})");
            }).find("twice"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_hf_listing(R"({"siblings":[{"rfilename":"a","size":-5}]})");
            }).find("impossible size"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_hf_listing(R"({"siblings":[{"rfilename":"a","size":"12"}]})"); }),
            "");
  EXPECT_NE(error_of([] {
              parse_hf_listing(R"({"siblings":[{"rfilename":"a","lfs":{"sha256":"zz"}}]})");
            }).find("sha256"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_hf_listing(R"({"siblings":[{"rfilename":"a","size":3,"lfs":{"size":4}}]})");
            }).find("two different sizes"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_hf_listing(R"({"siblings":[{"rfilename":5}]})"); }), "");
  EXPECT_NE(error_of([] { parse_hf_listing(R"({"siblings":"no"})"); }).find("siblings"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_hf_listing(R"({"siblings":[{"rfilen)"); }).find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_hf_listing("[]"); }), "");
  EXPECT_EQ(error_of([] { parse_hf_listing(R"({"error":"Repository not found"})"); }),
            "Hugging Face answered: Repository not found");
}

TEST(ModelScopeListing, ReadsFilesAndSkipsDirectories) {
  std::string json = std::string(R"({"Code":200,"Success":true,"Data":{"Files":[
    {"Name":"configuration.json","Path":"configuration.json","Size":48,"Sha256":"","Type":"blob"},
    {"Name":"sub","Path":"sub","Size":0,"Type":"tree"},
    {"Name":"w.bin","Path":"sub/w.bin","Size":10,"Sha256":")") +
                     kSha + R"(","Type":"blob"}]}})";
  auto files = parse_modelscope_listing(json);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, "configuration.json");
  EXPECT_EQ(files[0].sha256, "");
  EXPECT_EQ(files[1].path, "sub/w.bin");
  EXPECT_EQ(files[1].size, 10);
  EXPECT_EQ(files[1].sha256, kSha);
}

TEST(ModelScopeListing, ErrorsFailClearly) {
  EXPECT_EQ(error_of([] {
              parse_modelscope_listing(
                  R"({"Code":10010205001,"Success":false,"Message":"model not found"})");
            }),
            "ModelScope answered: model not found");
  EXPECT_NE(error_of([] { parse_modelscope_listing(R"({"Data":{}})"); }).find("Data.Files"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_modelscope_listing(R"({"Data":{"Files":[{"Path":"../x","Size":1}]}})");
            }),
            "");
}

TEST(S3Listing, ReadsKeysRelativeToThePrefix) {
  std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>models</Name><Prefix>tiny/</Prefix>
<KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
<Contents><Key>tiny/</Key><Size>0</Size></Contents>
<Contents><Key>tiny/config.json</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>17</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>tiny/R&amp;D &#x4F60;.bin</Key><Size>5</Size></Contents>
</ListBucketResult>)";
  S3ListingPage p = parse_s3_listing(xml, "tiny/");
  ASSERT_EQ(p.files.size(), 2u);
  EXPECT_EQ(p.files[0].path, "config.json");
  EXPECT_EQ(p.files[0].key, "tiny/config.json");
  EXPECT_EQ(p.files[0].size, 17);
  EXPECT_EQ(p.files[1].path, "R&D \xe4\xbd\xa0.bin");
  EXPECT_TRUE(p.truncated);
  EXPECT_EQ(p.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
}

TEST(S3Listing, APrefixThatIsAWholeKeyKeepsItsName) {
  S3ListingPage p = parse_s3_listing(
      "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>m/tiny.gguf</Key><Size>9</"
      "Size>"
      "</Contents></ListBucketResult>",
      "m/tiny.gguf");
  ASSERT_EQ(p.files.size(), 1u);
  EXPECT_EQ(p.files[0].path, "tiny.gguf");
}

TEST(S3Listing, ErrorsAndHostileKeysFailClearly) {
  EXPECT_EQ(error_of([] {
              parse_s3_listing(
                  "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Access "
                  "Denied</Message></Error>",
                  "");
            }),
            "S3 answered AccessDenied: Access Denied");
  EXPECT_NE(error_of([] {
              parse_s3_listing(
                  "<ListBucketResult><Contents><Key>p/../../x</Key><Size>1</Size></Contents></"
                  "ListBucketResult>",
                  "p/");
            }).find("unsafe key"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_s3_listing(
                  "<ListBucketResult><Contents><Key>other/x</Key></Contents></ListBucketResult>",
                  "p/");
            }).find("outside the prefix"),
            std::string::npos);
  EXPECT_NE(
      error_of([] {
        parse_s3_listing(
            "<ListBucketResult><Contents><Key>x</Key><Size>-1</Size></Contents></ListBucketResult>",
            "");
      }),
      "");
  EXPECT_NE(error_of([] {
              parse_s3_listing("<ListBucketResult><Contents><Key>x</Key>", "");
            }).find("not closed"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_s3_listing(
                  "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", "");
            }).find("continuation token"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_s3_listing(
                  "<ListBucketResult><Contents><Key>a&#0;b</Key></Contents></ListBucketResult>",
                  "");
            }),
            "");
  EXPECT_NE(error_of([] { parse_s3_listing("<html>hello</html>", ""); }).find("ListBucketResult"),
            std::string::npos);
}

TEST(SafePath, AcceptsOnlyPathsInsideTheDirectory) {
  EXPECT_TRUE(safe_relative_path("a/b.c"));
  EXPECT_TRUE(safe_relative_path("..a/b.."));
  EXPECT_FALSE(safe_relative_path(""));
  EXPECT_FALSE(safe_relative_path("./a"));
  EXPECT_FALSE(safe_relative_path("a/"));
  EXPECT_FALSE(safe_relative_path("a/../../b"));
  EXPECT_FALSE(safe_relative_path(std::string("a\0b", 3)));
  EXPECT_FALSE(safe_relative_path(std::string(1025, 'a')));
}

}  // namespace
}  // namespace hydra::files
