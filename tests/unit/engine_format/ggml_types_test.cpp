#include "engine/format/ggml_types.h"

#include <gtest/gtest.h>

#include "engine/format/format_error.h"

using namespace hydra::engine;

TEST(GgmlTypes, BlockSizesAsGgmlDefinesThem) {
  struct Want {
    GgmlType type;
    uint32_t raw, block, bytes;
  };
  const Want want[] = {
      {GgmlType::kF32, 0, 1, 4},         {GgmlType::kF16, 1, 1, 2},
      {GgmlType::kQ4_0, 2, 32, 18},      {GgmlType::kQ4_1, 3, 32, 20},
      {GgmlType::kQ5_0, 6, 32, 22},      {GgmlType::kQ5_1, 7, 32, 24},
      {GgmlType::kQ8_0, 8, 32, 34},      {GgmlType::kQ2_K, 10, 256, 84},
      {GgmlType::kQ3_K, 11, 256, 110},   {GgmlType::kQ4_K, 12, 256, 144},
      {GgmlType::kQ5_K, 13, 256, 176},   {GgmlType::kQ6_K, 14, 256, 210},
      {GgmlType::kQ8_K, 15, 256, 292},   {GgmlType::kIQ4_NL, 20, 32, 18},
      {GgmlType::kIQ4_XS, 23, 256, 136}, {GgmlType::kBF16, 30, 1, 2},
  };
  for (const auto& w : want) {
    const auto info = ggml_type_info(w.raw);
    ASSERT_TRUE(info.has_value()) << w.raw;
    EXPECT_EQ(info->type, w.type);
    EXPECT_EQ(info->block_size, w.block) << info->name;
    EXPECT_EQ(info->type_size, w.bytes) << info->name;
  }
  EXPECT_FALSE(ggml_type_info(4).has_value());  // removed Q4_2
  EXPECT_FALSE(ggml_type_info(1000).has_value());
}

TEST(GgmlTypes, ComputableTypesAreTheEngineWeights) {
  for (GgmlType t :
       {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ4_0,
        GgmlType::kQ4_K, GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ6_K}) {
    EXPECT_TRUE(type_info(t).computable) << type_name(t);
  }
  EXPECT_FALSE(type_info(GgmlType::kQ2_K).computable);
}

TEST(GgmlTypes, RowSize) {
  EXPECT_EQ(row_size(GgmlType::kQ4_K, 512), 288u);
  EXPECT_EQ(row_size(GgmlType::kQ8_0, 896), 28u * 34u);
  EXPECT_EQ(row_size(GgmlType::kF16, 7), 14u);
  EXPECT_THROW(row_size(GgmlType::kQ4_K, 896), FormatError);  // 896 is not a multiple of 256
  EXPECT_THROW(row_size(GgmlType::kQ8_0, 33), FormatError);
}

TEST(GgmlTypes, NamesParse) {
  EXPECT_EQ(type_from_name("Q4_K"), GgmlType::kQ4_K);
  EXPECT_EQ(type_from_name("q8_0"), GgmlType::kQ8_0);
  EXPECT_EQ(type_from_name("BF16"), GgmlType::kBF16);
  EXPECT_FALSE(type_from_name("q4_k_m").has_value());
  EXPECT_EQ(type_name(GgmlType::kQ6_K), "q6_K");
}
