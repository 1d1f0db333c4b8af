// The oneDNN backend: depthwise convolutions as grouped oneDNN convolutions (groups = channels),
// pointwise convolutions as oneDNN 1x1 convolutions, with the bias and the activation (ReLU, or SiLU as
// eltwise_swish with alpha 1) fused into the primitive as its bias and an eltwise post-op.
//
// Primitives depend on the layer shape, hence on the frame count. They are created the first
// time a frame count is seen (begin_item) and kept: the Engine runs one item of max_frames at
// construction, so the planned shape never creates anything in run(). Each primitive uses a
// user-managed scratchpad (scratchpad_mode::user) shared by all primitives of this instance, and
// memory objects whose data handles are pointed at the Engine's arena on every call.
//
// What oneDNN 2.6 does not let us avoid: dnnl_primitive_execute() builds a std::unordered_map of
// its arguments (exec_args_t) on every call, i.e. about seven small operator-new allocations per
// primitive execution inside libdnnl. The count is fixed per run and nothing grows, but run() on
// this backend is not allocation-free; engine.hpp says so.
//
// Depthwise layout: oneDNN 2.6 has no JIT depthwise kernel for plain NCHW (it falls back to
// im2col + sgemm, ~70 allocations and a large scratchpad per call), so the activation planes are
// reordered to NHWC, convolved by the JIT depthwise kernel (brdgmm_dw / jit_dw) and reordered
// back. kChannelsLast = false keeps NCHW throughout, for comparison.
#include <map>
#include <string>
#include <vector>

#include <dnnl.hpp>
#include <omp.h>

#include "engine/kernels.hpp"
#include "kws/error.hpp"

namespace kws::detail {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr memory::data_type kF32 = memory::data_type::f32;
constexpr bool kChannelsLast = true;

// Debian's oneDNN runs primitives on OpenMP with omp_get_max_threads() threads, chosen both when
// a primitive is created (work partitioning) and when it runs. Engine parallelism is one item per
// lane (EngineOptions::threads), so each primitive runs on its calling thread alone; the
// caller's own OpenMP setting is restored afterwards.
class OneOpenMpThread {
 public:
  OneOpenMpThread() : saved_(omp_get_max_threads()) {
    if (saved_ != 1) omp_set_num_threads(1);
  }
  ~OneOpenMpThread() {
    if (saved_ != 1) omp_set_num_threads(saved_);
  }
  OneOpenMpThread(const OneOpenMpThread&) = delete;
  OneOpenMpThread& operator=(const OneOpenMpThread&) = delete;

 private:
  int saved_;
};

// Where a memory object's data lives at execution time.
enum class Role { fixed, input, output, stage_in, stage_out, scratchpad };

struct Binding {
  memory mem;
  Role role;
};

// One primitive execution: its C argument array (what dnnl_primitive_execute takes, so no C++
// std::unordered_map is built on our side) and the memory objects behind it.
struct Step {
  dnnl::primitive primitive;
  std::vector<Binding> bindings;
  std::vector<dnnl_exec_arg_t> args;

  void bind(int arg, const memory& mem, Role role) {
    bindings.push_back({mem, role});
    args.push_back({arg, mem.get()});
  }
};

// The steps of one layer call, recorded the first time the layer runs at a frame count.
struct Call {
  const void* layer = nullptr;
  int h = 0, w = 0;
  std::vector<Step> steps;
};

struct Plan {
  std::vector<Call> calls;
};

dnnl::post_ops activation_post_ops(Activation activation) {
  dnnl::post_ops ops;
  switch (activation) {
    case Activation::relu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f); break;
    case Activation::silu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.0f, 0.0f); break;
    case Activation::none: break;
  }
  return ops;
}

// Right padding that makes oneDNN's output size formula give exactly `out`.
memory::dim right_padding(int in, int out, int kernel, int stride, int dilation, int left) {
  return memory::dim(out - 1) * stride + memory::dim(kernel - 1) * dilation + 1 - in - left;
}

class OneDnnKernels final : public Kernels {
 public:
  OneDnnKernels() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

  bool builds_per_shape() const override { return true; }

  std::size_t workspace_bytes() const override {
    return (scratchpad_.size() + stage_in_.size() + stage_out_.size()) * sizeof(float);
  }

  void begin_item(int frames, Output output) override {
    const std::pair<int, Output> shape{frames, output};
    auto found = plans_.find(shape);
    if (found == plans_.end()) found = plans_.emplace(shape, Plan{}).first;  // first item of this shape
    plan_ = &found->second;
    cursor_ = 0;
  }

  void depthwise(const DepthwiseConv& conv, const float* in, int h, int w, float* out) override {
    run(next(&conv, h, w, [&] { return record_depthwise(conv, h, w); }), in, out);
  }

  void pointwise(const PointwiseConv& conv, const float* in, int pixels, float* out) override {
    run(next(&conv, pixels, 1, [&] { return record_pointwise(conv, pixels); }), in, out);
  }

 private:
  // The recorded call at the cursor, or a new one appended by `record` while the plan grows.
  template <typename Record>
  const Call& next(const void* layer, int h, int w, Record record) {
    if (plan_ == nullptr) throw Error(ErrorCode::internal, "oneDNN kernels used before begin_item()");
    if (cursor_ == plan_->calls.size()) {
      const OneOpenMpThread single;
      try {
        plan_->calls.push_back(record());
      } catch (const dnnl::error& e) {
        throw Error(ErrorCode::internal, std::string("oneDNN: creating a primitive failed: ") + e.what());
      }
    }
    const Call& call = plan_->calls[cursor_++];
    if (call.layer != layer || call.h != h || call.w != w)
      throw Error(ErrorCode::internal, "oneDNN kernels: layer sequence differs from the recorded plan");
    return call;
  }

  void run(const Call& call, const float* in, float* out) {
    const OneOpenMpThread single;
    for (const Step& step : call.steps) {
      for (const Binding& binding : step.bindings) {
        void* handle = nullptr;
        switch (binding.role) {
          case Role::fixed: continue;
          case Role::input: handle = const_cast<float*>(in); break;
          case Role::output: handle = out; break;
          case Role::stage_in: handle = stage_in_.data(); break;
          case Role::stage_out: handle = stage_out_.data(); break;
          case Role::scratchpad: handle = scratchpad_.data(); break;
        }
        if (dnnl_memory_set_data_handle_v2(binding.mem.get(), handle, stream_.get()) != dnnl_success)
          throw Error(ErrorCode::internal, "oneDNN: setting a memory handle failed");
      }
      if (dnnl_primitive_execute(step.primitive.get(), stream_.get(), int(step.args.size()), step.args.data()) !=
          dnnl_success)
        throw Error(ErrorCode::internal, "oneDNN: primitive execution failed");
    }
  }

  // Grows a float buffer to hold `bytes` (only while recording).
  static void reserve(std::vector<float>& buffer, std::size_t bytes) {
    const std::size_t floats = (bytes + sizeof(float) - 1) / sizeof(float);
    if (buffer.size() < floats) buffer.resize(floats);
  }

  // A memory object whose handle is set per call (created on a dummy handle).
  memory placeholder(const memory::desc& desc) { return memory(desc, engine_, &dummy_); }

  void bind_scratchpad(Step& step, const memory::desc& desc) {
    if (desc.get_size() == 0) return;
    reserve(scratchpad_, desc.get_size());
    step.bind(DNNL_ARG_SCRATCHPAD, placeholder(desc), Role::scratchpad);
  }

  // A reorder between two layouts of the same activation.
  Step reorder(const memory::desc& from, Role from_role, const memory::desc& to, Role to_role) {
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const dnnl::reorder::primitive_desc pd(engine_, from, engine_, to, attr);
    Step step;
    step.primitive = dnnl::reorder(pd);
    step.bind(DNNL_ARG_FROM, placeholder(from), from_role);
    step.bind(DNNL_ARG_TO, placeholder(to), to_role);
    bind_scratchpad(step, pd.scratchpad_desc());
    return step;
  }

  Call record_depthwise(const DepthwiseConv& conv, int h, int w) {
    const int oh = conv.out_h(h), ow = conv.out_w(w);
    const int in_channels = conv.shared_input ? 1 : conv.channels;
    const memory::dims src_dims{1, in_channels, h, w}, dst_dims{1, conv.channels, oh, ow};
    const memory::desc src_user(src_dims, kF32, Tag::nchw), dst_user(dst_dims, kF32, Tag::nchw);
    // One input channel is the same bytes in either layout; saying NHWC keeps oneDNN on its JIT
    // kernels (NCHW source with NHWC destination falls back to ref:any).
    const bool reorder_src = kChannelsLast && in_channels > 1;
    const memory::desc src_conv = kChannelsLast ? memory::desc(src_dims, kF32, Tag::nhwc) : src_user;
    const memory::desc dst_conv = kChannelsLast ? memory::desc(dst_dims, kF32, Tag::nhwc) : dst_user;

    // Grouped convolution, groups = channels ([C][1][1][kh][kw]); the 1 -> C head is an
    // ordinary convolution with one input channel ([C][1][kh][kw]). Same bytes either way.
    const memory::dims weight_dims = conv.shared_input
                                         ? memory::dims{conv.channels, 1, conv.kernel_h, conv.kernel_w}
                                         : memory::dims{conv.channels, 1, 1, conv.kernel_h, conv.kernel_w};
    const memory::desc weight_user(weight_dims, kF32, conv.shared_input ? Tag::oihw : Tag::goihw);
    const memory::desc weight_any(weight_dims, kF32, Tag::any);
    const memory::desc bias = conv.bias.empty() ? memory::desc() : memory::desc({conv.channels}, kF32, Tag::x);

    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    attr.set_post_ops(activation_post_ops(conv.activation));
    // oneDNN counts dilation from 0 (PyTorch's dilation - 1).
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_conv, weight_any, bias,
        dst_conv, {conv.stride_h, conv.stride_w}, {conv.dilation_h - 1, conv.dilation_w - 1},
        {conv.pad_h, conv.pad_w},
        {right_padding(h, oh, conv.kernel_h, conv.stride_h, conv.dilation_h, conv.pad_h),
         right_padding(w, ow, conv.kernel_w, conv.stride_w, conv.dilation_w, conv.pad_w)});
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine_);

    Call call;
    call.layer = &conv;
    call.h = h;
    call.w = w;
    if (reorder_src) {
      reserve(stage_in_, src_conv.get_size());
      call.steps.push_back(reorder(src_user, Role::input, src_conv, Role::stage_in));
    }
    Step step;
    step.primitive = dnnl::convolution_forward(pd);
    step.bind(DNNL_ARG_SRC, placeholder(src_conv), reorder_src ? Role::stage_in : Role::input);
    step.bind(DNNL_ARG_WEIGHTS, weights(conv.weight, weight_user, pd.weights_desc()), Role::fixed);
    if (!conv.bias.empty())
      step.bind(DNNL_ARG_BIAS, memory(bias, engine_, const_cast<float*>(conv.bias.data())), Role::fixed);
    step.bind(DNNL_ARG_DST, placeholder(dst_conv), kChannelsLast ? Role::stage_out : Role::output);
    bind_scratchpad(step, pd.scratchpad_desc());
    call.steps.push_back(std::move(step));
    if (kChannelsLast) {
      reserve(stage_out_, dst_conv.get_size());
      call.steps.push_back(reorder(dst_conv, Role::stage_out, dst_user, Role::output));
    }
    return call;
  }

  // out [O][P] = weight [O][I] x in [I][P] + bias [O], then activation: a 1x1 convolution over
  // one row of P pixels. (A matmul with the bias broadcast along M runs oneDNN 2.6's ref:any
  // kernel; the 1x1 convolution runs as one sgemm with the bias and activation fused.)
  Call record_pointwise(const PointwiseConv& conv, int pixels) {
    const memory::dim o = conv.out_channels, i = conv.in_channels, p = pixels;
    const memory::desc src({1, i, 1, p}, kF32, Tag::nchw), dst({1, o, 1, p}, kF32, Tag::nchw);
    const memory::desc weight_user({o, i, 1, 1}, kF32, Tag::oihw), weight_any({o, i, 1, 1}, kF32, Tag::any);
    const memory::desc bias = conv.bias.empty() ? memory::desc() : memory::desc({o}, kF32, Tag::x);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    attr.set_post_ops(activation_post_ops(conv.activation));
    const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                               dnnl::algorithm::convolution_direct, src, weight_any, bias, dst,
                                               {1, 1}, {0, 0}, {0, 0});
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, engine_);

    Call call;
    call.layer = &conv;
    call.h = pixels;
    call.w = 1;
    Step step;
    step.primitive = dnnl::convolution_forward(pd);
    step.bind(DNNL_ARG_SRC, placeholder(src), Role::input);
    step.bind(DNNL_ARG_WEIGHTS, weights(conv.weight, weight_user, pd.weights_desc()), Role::fixed);
    if (!conv.bias.empty())
      step.bind(DNNL_ARG_BIAS, memory(bias, engine_, const_cast<float*>(conv.bias.data())), Role::fixed);
    step.bind(DNNL_ARG_DST, placeholder(dst), Role::output);
    bind_scratchpad(step, pd.scratchpad_desc());
    call.steps.push_back(std::move(step));
    return call;
  }

  // The convolution weights in the layout the primitive chose, reordered once and kept (keyed by
  // the weights and the layout, so every frame count of a layer shares one copy).
  memory weights(const Floats& weight, const memory::desc& user, const memory::desc& chosen) {
    const memory source(user, engine_, const_cast<float*>(weight.data()));
    if (chosen == user) return source;
    for (const auto& [key, mem] : weights_)
      if (key == weight.data() && mem.get_desc() == chosen) return mem;
    memory reordered(chosen, engine_);  // owned by oneDNN
    memory from = source;
    dnnl::reorder(from, reordered).execute(stream_, from, reordered);
    stream_.wait();
    weights_.emplace_back(weight.data(), reordered);
    return reordered;
  }

  dnnl::engine engine_;
  dnnl::stream stream_;
  std::map<std::pair<int, Output>, Plan> plans_;  // by frame count and output
  Plan* plan_ = nullptr;
  std::size_t cursor_ = 0;
  std::vector<float> scratchpad_, stage_in_, stage_out_;
  std::vector<std::pair<const float*, memory>> weights_;
  float dummy_ = 0.0f;
};

}  // namespace

std::unique_ptr<Kernels> make_onednn_kernels() {
  try {
    return std::make_unique<OneDnnKernels>();
  } catch (const dnnl::error& e) {
    throw Error(ErrorCode::internal, std::string("oneDNN: ") + e.what());
  }
}

}  // namespace kws::detail
