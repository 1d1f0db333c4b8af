#include "model/architecture.hpp"

#include "kws/error.hpp"
#include "kws/model.hpp"

namespace kws::detail {

std::array<int, 6> stage_channels(float tau) {
  const int b = int(8.0f * tau);
  // int(1.5 b) and int(2.5 b) as Python computes them; exact for every supported b.
  return {2 * b, b, b * 3 / 2, 2 * b, b * 5 / 2, 4 * b};
}

void require_model_kind(const Model& model, bool ctc, const std::string& user) {
  if (model.is_ctc() == ctc) return;
  if (ctc)
    throw InvalidArgument(user + " needs a CTC model (architecture \"" + kCtcArchitecture + "\"), but this model is a "
                          "classifier (\"" + model.architecture() + "\"): use kws::Detector or kws::Classifier");
  throw InvalidArgument(user + " needs a classifier model (architecture \"" + kClassifierArchitecture +
                        "\"), but this model is a CTC acoustic model (\"" + model.architecture() +
                        "\"): use kws::Spotter or kws::transcribe");
}

std::string block_prefix(int stage, int block) {
  return "BCBlocks." + std::to_string(stage) + "." + std::to_string(block);
}

namespace {
void add_batch_norm(std::vector<TensorSpec>& out, const std::string& prefix, int channels) {
  for (const char* field : {"weight", "bias", "running_mean", "running_var"})
    out.push_back({prefix + "." + field, {channels}});
}
}  // namespace

std::vector<TensorSpec> bcresnet_tensors(float tau, int num_classes) {
  const std::array<int, 6> c = stage_channels(tau);
  std::vector<TensorSpec> out;
  out.push_back({"cnn_head.0.weight", {c[0], 1, 5, 5}});
  add_batch_norm(out, "cnn_head.1", c[0]);
  for (int stage = 0; stage < kStages; ++stage) {
    for (int block = 0; block < kBlocksPerStage[std::size_t(stage)]; ++block) {
      const std::string p = block_prefix(stage, block);
      const int in = block == 0 ? c[std::size_t(stage)] : c[std::size_t(stage) + 1];
      const int ch = c[std::size_t(stage) + 1];
      int f2 = 0;
      if (in != ch) {  // transition: 1x1 conv + BN + ReLU first
        out.push_back({p + ".f2.0.block.0.weight", {ch, in, 1, 1}});
        add_batch_norm(out, p + ".f2.0.block.1", ch);
        f2 = 1;
      }
      out.push_back({p + ".f2." + std::to_string(f2) + ".block.0.weight", {ch, 1, 3, 1}});
      add_batch_norm(out, p + ".f2." + std::to_string(f2) + ".block.1.ssnorm", ch * kSubBands);
      out.push_back({p + ".f1.0.block.0.weight", {ch, 1, 1, 3}});
      add_batch_norm(out, p + ".f1.0.block.1", ch);
      out.push_back({p + ".f1.1.weight", {ch, ch, 1, 1}});
    }
  }
  out.push_back({"classifier.0.weight", {c[4], 1, 5, 5}});
  out.push_back({"classifier.1.weight", {c[5], c[4], 1, 1}});
  add_batch_norm(out, "classifier.2", c[5]);
  out.push_back({"classifier.5.weight", {num_classes, c[5], 1, 1}});
  out.push_back({"classifier.5.bias", {num_classes}});
  return out;
}

}  // namespace kws::detail
