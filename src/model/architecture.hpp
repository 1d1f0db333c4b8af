// BC-ResNet hyper-parameters and tensor layout, shared by the model loader (which checks a file
// against them) and the engine (which walks the same layer list). Mirrors
// bindings/python/kws/architecture.py; the golden-data tests keep the two in step.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace kws {
class Model;
}

namespace kws::detail {

constexpr int kInputRows = 40;          // mel rows: 40 -> 20 (head) -> 10 -> 5 (stages 1, 2)
constexpr int kSubBands = 5;            // SubSpectralNorm sub-bands
constexpr int kStages = 4;
constexpr std::array<int, kStages> kBlocksPerStage = {2, 2, 4, 4};
constexpr bool frequency_strided(int stage) { return stage == 1 || stage == 2; }
// The metadata's architecture names: the classifier (format_version "1" or "2") and the CTC
// acoustic model with the same tensors and per-frame outputs (format_version "2" only).
constexpr const char* kClassifierArchitecture = "bcresnet";
constexpr const char* kCtcArchitecture = "bcresnet_ctc";
// A CTC model's labels[0]: the blank of the CTC topology.
constexpr const char* kBlankLabel = "_blank_";
// Frames of temporal context on each side of a frame's output (the receptive radius): the head's
// 5x5 and the classifier's 5x5 convolutions reach 2 frames each, every block's dilated 1x3
// reaches its dilation 2^stage. Computed from the constants above (58 for BC-ResNet).
// engine/network.cpp builds the convolutions with these paddings.
constexpr int kHeadTemporalRadius = 2;
constexpr int kClassifierTemporalRadius = 2;
constexpr int temporal_receptive_radius() {
  int radius = kHeadTemporalRadius + kClassifierTemporalRadius;
  for (int stage = 0; stage < kStages; ++stage) radius += kBlocksPerStage[std::size_t(stage)] * (1 << stage);
  return radius;
}

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

// Throws InvalidArgument when `model` is not of the kind `user` (e.g. "Detector") needs: a
// classifier (ctc false) or a CTC acoustic model (ctc true), naming the API that fits instead.
void require_model_kind(const Model& model, bool ctc, const std::string& user);

// Name prefix of block `block` of stage `stage`, e.g. "BCBlocks.1.0".
std::string block_prefix(int stage, int block);

}  // namespace kws::detail
