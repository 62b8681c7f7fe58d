// Placeholder rewriting and value text conversion for PostgreSQL; no server needed.
#include "store/postgres_sql.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace hydra::store::pg {
namespace {

std::string rewrite(std::string_view sql, int expected_count) {
  int n = -1;
  std::string out = rewrite_placeholders(sql, &n);
  EXPECT_EQ(n, expected_count) << sql;
  return out;
}

TEST(PlaceholderRewrite, NumbersPlaceholdersInOrder) {
  EXPECT_EQ(rewrite("SELECT * FROM t WHERE a = ? AND b IN (?, ?)", 3),
            "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)");
  EXPECT_EQ(rewrite("SELECT 1", 0), "SELECT 1");
  EXPECT_EQ(rewrite("?", 1), "$1");
}

TEST(PlaceholderRewrite, LeavesStringLiteralsAlone) {
  EXPECT_EQ(rewrite("SELECT '?', ?", 1), "SELECT '?', $1");
  EXPECT_EQ(rewrite("SELECT 'it''s ?', ?", 1), "SELECT 'it''s ?', $1");
  EXPECT_EQ(rewrite("SELECT '', ?", 1), "SELECT '', $1");
  // In E'' strings a backslash escapes the quote; in plain strings it does not.
  EXPECT_EQ(rewrite("SELECT E'a\\'?', ?", 1), "SELECT E'a\\'?', $1");
  EXPECT_EQ(rewrite("SELECT 'a\\', ?", 1), "SELECT 'a\\', $1");
  // A word ending in e before a quote is not an E'' prefix.
  EXPECT_EQ(rewrite("SELECT x FROM t WHERE name='\\' AND v = ?", 1),
            "SELECT x FROM t WHERE name='\\' AND v = $1");
}

TEST(PlaceholderRewrite, LeavesIdentifiersCommentsAndDollarQuotesAlone) {
  EXPECT_EQ(rewrite("SELECT \"what?\" FROM t WHERE a = ?", 1),
            "SELECT \"what?\" FROM t WHERE a = $1");
  EXPECT_EQ(rewrite("SELECT ? -- why?\n, ?", 2), "SELECT $1 -- why?\n, $2");
  EXPECT_EQ(rewrite("SELECT /* a /* nested? */ still? */ ?", 1),
            "SELECT /* a /* nested? */ still? */ $1");
  EXPECT_EQ(rewrite("DO $$ BEGIN PERFORM '?'; END $$", 0), "DO $$ BEGIN PERFORM '?'; END $$");
  EXPECT_EQ(rewrite("SELECT $fn$ ? $x$ ? $fn$, ?", 1), "SELECT $fn$ ? $x$ ? $fn$, $1");
  // Existing $n parameters are not dollar quotes.
  EXPECT_EQ(rewrite("SELECT $1, ?", 1), "SELECT $1, $1");
}

TEST(PlaceholderRewrite, UnterminatedQuotesDoNotOverrun) {
  EXPECT_EQ(rewrite("SELECT '?", 0), "SELECT '?");
  EXPECT_EQ(rewrite("SELECT \"?", 0), "SELECT \"?");
  EXPECT_EQ(rewrite("SELECT /* ?", 0), "SELECT /* ?");
  EXPECT_EQ(rewrite("SELECT $$ ?", 0), "SELECT $$ ?");
  EXPECT_EQ(rewrite("SELECT E'\\", 0), "SELECT E'\\");
}

TEST(ParamText, EncodesEachValueType) {
  EXPECT_FALSE(param_text(Null{}).has_value());
  EXPECT_EQ(*param_text(int64_t{std::numeric_limits<int64_t>::min()}), "-9223372036854775808");
  EXPECT_EQ(*param_text(std::string("x'y")), "x'y");
  EXPECT_EQ(*param_text(0.1), "0.1");
  EXPECT_EQ(*param_text(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(std::stod(*param_text(1.7976931348623157e308)), 1.7976931348623157e308);
  EXPECT_EQ(*param_text(std::nan("")), "NaN");
  EXPECT_EQ(*param_text(-HUGE_VAL), "-Infinity");
}

TEST(DecodeCell, TypesCellsByColumnOid) {
  EXPECT_EQ(std::get<int64_t>(decode_cell(20, "-9223372036854775808")),
            std::numeric_limits<int64_t>::min());
  EXPECT_EQ(std::get<int64_t>(decode_cell(21, "7")), 7);
  EXPECT_EQ(std::get<int64_t>(decode_cell(23, "-5")), -5);
  EXPECT_EQ(std::get<int64_t>(decode_cell(16, "t")), 1);
  EXPECT_EQ(std::get<int64_t>(decode_cell(16, "f")), 0);
  EXPECT_EQ(std::get<double>(decode_cell(701, "0.30000000000000004")), 0.1 + 0.2);
  EXPECT_EQ(std::get<double>(decode_cell(700, "1.5")), 1.5);
  EXPECT_EQ(std::get<double>(decode_cell(1700, "12.25")), 12.25);
  EXPECT_TRUE(std::isnan(std::get<double>(decode_cell(701, "NaN"))));
  EXPECT_EQ(std::get<double>(decode_cell(701, "-Infinity")), -HUGE_VAL);
  EXPECT_EQ(std::get<std::string>(decode_cell(25, "42")), "42");  // text stays text
  EXPECT_EQ(std::get<std::string>(decode_cell(20, "x1")), "x1");  // unparseable kept as text
}

}  // namespace
}  // namespace hydra::store::pg
