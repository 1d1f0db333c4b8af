// BC-ResNet hyper-parameters and tensor layout, shared by the model loader (which checks a file
// against them) and the engine (which walks the same layer list). Mirrors
// bindings/python/kws/architecture.py; the golden-data tests keep the two in step.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace kws::detail {

constexpr int kInputRows = 40;          // mel rows: 40 -> 20 (head) -> 10 -> 5 (stages 1, 2)
constexpr int kSubBands = 5;            // SubSpectralNorm sub-bands
constexpr int kStages = 4;
constexpr std::array<int, kStages> kBlocksPerStage = {2, 2, 4, 4};
constexpr bool frequency_strided(int stage) { return stage == 1 || stage == 2; }
// The supported widths, as the metadata spells them.
constexpr std::array<const char*, 6> kTauNames = {"1", "1.5", "2", "3", "6", "8"};

// [head, stage0, stage1, stage2, stage3, classifier] = [2b, b, 1.5b, 2b, 2.5b, 4b], b = int(8 tau).
std::array<int, 6> stage_channels(float tau);

struct TensorSpec {
  std::string name;
  std::vector<int> shape;
};
// Every tensor of the eval state_dict (num_batches_tracked excluded), in state_dict order.
std::vector<TensorSpec> bcresnet_tensors(float tau, int num_classes);

// Name prefix of block `block` of stage `stage`, e.g. "BCBlocks.1.0".
std::string block_prefix(int stage, int block);

}  // namespace kws::detail
