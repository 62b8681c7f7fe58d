#include "metering/usage_csv.h"

#include <gtest/gtest.h>

namespace hydra::metering {
namespace {

TEST(UsageCsv, FieldsAreQuotedOnlyWhenNeeded) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field(""), "");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field("cr\rhere"), "\"cr\rhere\"");
  // Spreadsheet formulas are defused.
  EXPECT_EQ(csv_field("=SUM(A1)"), "'=SUM(A1)");
  EXPECT_EQ(csv_field("@x,y"), "\"'@x,y\"");
  EXPECT_EQ(csv_field("-1"), "'-1");
}

TEST(UsageCsv, RecordsHaveAHeaderAndOneCrlfLinePerRecord) {
  UsageRecord r;
  r.time = 1767225600000;
  r.request_id = "req,1";
  r.workspace_id = "ws";
  r.key_id = "k\"1";
  r.model = "public/m";
  r.stream = true;
  r.status = 499;
  r.prompt_tokens = 7;
  r.completion_tokens = 3;
  r.cost = 0.0125;
  std::string csv = records_csv({r, r});
  size_t first = csv.find("\r\n");
  ASSERT_NE(first, std::string::npos);
  EXPECT_EQ(csv.substr(0, first),
            "time,request_id,workspace_id,user_id,key_id,model,upstream,stream,status,error_code,"
            "prompt_tokens,completion_tokens,cached_tokens,cost,latency_ms,ttft_ms");
  std::string line = csv.substr(first + 2, csv.find("\r\n", first + 2) - first - 2);
  EXPECT_EQ(
      line,
      "2026-01-01T00:00:00.000Z,\"req,1\",ws,,\"k\"\"1\",public/m,,true,499,0,7,3,0,0.012500,0,0");
  size_t lines = 0;
  for (size_t at = 0; (at = csv.find("\r\n", at)) != std::string::npos; at += 2) ++lines;
  EXPECT_EQ(lines, 3u);
}

TEST(UsageCsv, GroupsNameOnlyTheirDimensions) {
  UsageGroup g;
  g.bucket = 1767225600000;
  g.model = "public/m";
  g.totals.calls = 5;
  g.totals.failures = 1;
  g.totals.prompt_tokens = 50;
  g.totals.cost = 2;
  GroupBy by;
  by.time = Granularity::kHour;
  by.model = true;
  EXPECT_EQ(
      groups_csv({g}, by),
      "time,model,calls,failures,aborted,prompt_tokens,completion_tokens,cached_tokens,cost\r\n"
      "2026-01-01T00:00:00.000Z,public/m,5,1,0,50,0,0,2.000000\r\n");
}

}  // namespace
}  // namespace hydra::metering
