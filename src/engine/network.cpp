// Folding BatchNorm / SubSpectralNorm into the graph the backends run. Done in double, once.
#include "engine/network.hpp"

#include <cmath>
#include <string>

#include "model/architecture.hpp"

namespace kws::detail {

namespace {

struct Affine {
  std::vector<double> scale, shift;
};

// BatchNorm at inference as y = x * scale + shift.
Affine batch_norm(const Model& model, const std::string& prefix) {
  const TensorView gamma = model.tensor(prefix + ".weight");
  const TensorView beta = model.tensor(prefix + ".bias");
  const TensorView mean = model.tensor(prefix + ".running_mean");
  const TensorView var = model.tensor(prefix + ".running_var");
  Affine out;
  for (std::size_t i = 0; i < gamma.size(); ++i) {
    const double s = double(gamma.data[i]) / std::sqrt(double(var.data[i]) + double(model.bn_eps()));
    out.scale.push_back(s);
    out.shift.push_back(double(beta.data[i]) - double(mean.data[i]) * s);
  }
  return out;
}

// Scales output channel o of `weight` ([out][k...]) by bn.scale[o]; the bias becomes bn.shift.
void fold(Floats& weight, Floats& bias, const Affine& bn) {
  const std::size_t per_channel = weight.size() / bn.scale.size();
  for (std::size_t o = 0; o < bn.scale.size(); ++o)
    for (std::size_t k = 0; k < per_channel; ++k)
      weight[o * per_channel + k] = float(double(weight[o * per_channel + k]) * bn.scale[o]);
  bias.assign(bn.shift.begin(), bn.shift.end());
}

Floats copy(const TensorView& t) { return {t.data, t.data + t.size()}; }

DepthwiseConv depthwise(const Model& model, const std::string& weight_name, int kh, int kw, int sh, int ph, int pw,
                        int dw, Activation activation) {
  DepthwiseConv conv;
  const TensorView weight = model.tensor(weight_name);
  conv.channels = weight.shape[0];
  conv.kernel_h = kh;
  conv.kernel_w = kw;
  conv.stride_h = sh;
  conv.pad_h = ph;
  conv.pad_w = pw;
  conv.dilation_w = dw;
  conv.weight = copy(weight);
  conv.activation = activation;
  return conv;
}

PointwiseConv pointwise(const Model& model, const std::string& weight_name, Activation activation) {
  PointwiseConv conv;
  const TensorView weight = model.tensor(weight_name);
  conv.out_channels = weight.shape[0];
  conv.in_channels = weight.shape[1];
  conv.weight = copy(weight);
  conv.activation = activation;
  return conv;
}

}  // namespace

Network build_network(const Model& model) {
  Network net;
  net.input_rows = kInputRows;
  net.num_classes = model.num_classes();

  net.head = depthwise(model, "cnn_head.0.weight", 5, 5, 2, 2, kHeadTemporalRadius, 1, Activation::relu);
  net.head.shared_input = true;
  fold(net.head.weight, net.head.bias, batch_norm(model, "cnn_head.1"));

  const std::array<int, 6> channels = stage_channels(model.tau());
  for (int stage = 0; stage < kStages; ++stage) {
    for (int index = 0; index < kBlocksPerStage[std::size_t(stage)]; ++index) {
      const std::string p = block_prefix(stage, index);
      Block block;
      const int in_channels = index == 0 ? channels[std::size_t(stage)] : channels[std::size_t(stage) + 1];
      block.transition = in_channels != channels[std::size_t(stage) + 1];
      std::string f2 = p + ".f2.0";
      if (block.transition) {
        block.expand = pointwise(model, p + ".f2.0.block.0.weight", Activation::relu);
        fold(block.expand.weight, block.expand.bias, batch_norm(model, p + ".f2.0.block.1"));
        f2 = p + ".f2.1";
      }
      const int stride = index == 0 && frequency_strided(stage) ? 2 : 1;
      block.frequency = depthwise(model, f2 + ".block.0.weight", 3, 1, stride, 1, 0, 1, Activation::none);
      const Affine ssn = batch_norm(model, f2 + ".block.1.ssnorm");
      block.subspectral.channels = block.frequency.channels;
      block.subspectral.scale.assign(ssn.scale.begin(), ssn.scale.end());
      block.subspectral.shift.assign(ssn.shift.begin(), ssn.shift.end());

      const int dilation = 1 << stage;
      block.temporal = depthwise(model, p + ".f1.0.block.0.weight", 1, 3, 1, 0, dilation, dilation, Activation::silu);
      fold(block.temporal.weight, block.temporal.bias, batch_norm(model, p + ".f1.0.block.1"));
      block.mix = pointwise(model, p + ".f1.1.weight", Activation::none);
      net.blocks.push_back(std::move(block));
    }
  }

  net.classifier_dw = depthwise(model, "classifier.0.weight", 5, 5, 1, 0, kClassifierTemporalRadius, 1, Activation::none);
  net.classifier_pw = pointwise(model, "classifier.1.weight", Activation::relu);
  fold(net.classifier_pw.weight, net.classifier_pw.bias, batch_norm(model, "classifier.2"));
  net.output = pointwise(model, "classifier.5.weight", Activation::none);
  net.output.bias = copy(model.tensor("classifier.5.bias"));
  return net;
}

}  // namespace kws::detail
