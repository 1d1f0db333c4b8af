// Engine: the BC-ResNet forward pass over a backend's Kernels. The steps come from one Plan
// (engine/plan.hpp), which also sizes each lane's arena; the convolutions are the backend's, the
// element-wise steps (engine/elementwise.hpp) are shared by all backends. Backends: engine/backends.hpp; threads:
// engine/worker_lanes.hpp.
#include "kws/engine.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "engine/backends.hpp"
#include "engine/elementwise.hpp"
#include "engine/kernels.hpp"
#include "engine/network.hpp"
#include "engine/plan.hpp"
#include "engine/worker_lanes.hpp"
#include "kws/error.hpp"
#include "model/architecture.hpp"

namespace kws {

using detail::Operation;
using detail::Shape;
using detail::Slot;
using detail::Step;

namespace {

// What one thread needs to run items: its own kernels (a oneDNN stream and scratchpad, say) and
// its own activation arena.
struct Lane {
  std::unique_ptr<detail::Kernels> kernels;
  // The plan's slots, sized for its largest plane and vector at max_frames at construction so
  // run() never allocates. 64-byte aligned (detail::Floats): equal alignment in every lane keeps
  // results identical whichever lane computes an item.
  detail::Floats planes[detail::kPlaneSlots];
  detail::Floats vectors[detail::kVectorSlots];

  void size_for(const detail::Plan& plan) {
    for (auto& buffer : planes) buffer.assign(plan.plane_floats(), 0.0f);
    for (auto& buffer : vectors) buffer.assign(plan.vector_floats(), 0.0f);
  }

  float* buffer(Slot slot) {
    switch (slot) {
      case Slot::plane0: return planes[0].data();
      case Slot::plane1: return planes[1].data();
      case Slot::plane2: return planes[2].data();
      case Slot::vector0: return vectors[0].data();
      case Slot::vector1: return vectors[1].data();
      case Slot::item_input:
      case Slot::item_logits: break;
    }
    throw Error(ErrorCode::internal, "engine plan: an item's input or logits is not in the arena");
  }

  std::size_t bytes() const {
    std::size_t total = kernels->workspace_bytes();
    for (const auto& buffer : planes) total += buffer.size() * sizeof(float);
    for (const auto& buffer : vectors) total += buffer.size() * sizeof(float);
    return total;
  }
};

}  // namespace

struct Engine::Impl {
  Model model;
  Backend backend;
  int max_batch, max_frames;
  detail::Network net;
  // The steps for the frame count of the latest run (max_frames at construction); run() reshapes
  // it before any lane reads it.
  detail::Plan plan;
  std::vector<Lane> lanes;  // lanes[0] runs on the caller of run(), lanes[k > 0] on worker k
  std::optional<detail::WorkerLanes> workers;  // after `lanes`: joined before they go

  Impl(Model m, const EngineOptions& options) : model(std::move(m)) {
    backend = options.backend;
    if (const char* env = std::getenv("KWS_BACKEND"); env != nullptr && *env != '\0') backend = parse_backend(env);
    detail::require_backend(backend);
    if (options.max_batch < 1) throw InvalidArgument("EngineOptions.max_batch must be positive");
    if (options.max_frames < 0) throw InvalidArgument("EngineOptions.max_frames must be positive (or 0)");
    if (options.threads < 1) throw InvalidArgument("EngineOptions.threads must be positive");
    max_batch = options.max_batch;
    max_frames = options.max_frames > 0 ? options.max_frames : model.input_frames();
    net = detail::build_network(model);
    plan = detail::Plan(net, max_frames);
    // More lanes than items in the largest batch would never run.
    lanes.resize(std::size_t(std::min(options.threads, max_batch)));
    const std::vector<float> silence(plan.input_shape().size(), 0.0f);
    std::vector<float> logits(std::size_t(net.num_classes) * std::size_t(max_frames));
    // The output the model's architecture is read with: per frame for a CTC model.
    const detail::Output native = model.is_ctc() ? detail::Output::per_frame : detail::Output::pooled;
    plan.reshape(max_frames, native);
    for (Lane& lane : lanes) {
      lane.kernels = detail::make_kernels(backend);
      lane.kernels->reserve(net, max_frames);
      lane.size_for(plan);
      // A backend that builds per-shape state (oneDNN primitives) builds it for max_frames now.
      if (lane.kernels->builds_per_shape()) forward(lane, silence.data(), logits.data());
    }
    workers.emplace(lanes.size());
  }

  void run(const float* input, int batch, int frames, detail::Output output, float* logits) {
    if (frames != plan.frames() || output != plan.output()) plan.reshape(frames, output);
    const std::size_t item = plan.input_shape().size(), classes = plan.output_shape().size();
    // Lane k runs items k, k + lanes.size(), ...
    auto items = [&](std::size_t lane) {
      for (std::size_t i = lane; i < std::size_t(batch); i += lanes.size())
        forward(lanes[lane], input + i * item, logits + i * classes);
    };
    if (batch == 1)
      items(0);
    else
      workers->run(items);
  }

  // One item through the plan: input [rows][frames] -> logits [num_classes] (pooled) or
  // [num_classes][frames] (per_frame).
  void forward(Lane& lane, const float* input, float* logits) {
    detail::Kernels& kernels = *lane.kernels;
    kernels.begin_item(plan.frames(), plan.output());
    for (const Step& step : plan.steps()) {
      const float* in = step.in == Slot::item_input ? input : lane.buffer(step.in);
      float* out = step.out == Slot::item_logits ? logits : lane.buffer(step.out);
      switch (step.operation) {
        case Operation::depthwise:
          kernels.depthwise(*step.depthwise, in, step.in_shape.height, step.in_shape.width, out);
          break;
        case Operation::pointwise:
          kernels.pointwise(*step.pointwise, in, step.in_shape.height * step.in_shape.width, out);
          break;
        case Operation::frequency_subspectral:
          kernels.frequency_subspectral(*step.depthwise, *step.subspectral, in, step.in_shape.height,
                                        step.in_shape.width, out, lane.buffer(step.mean));
          break;
        case Operation::broadcast_residual:
          detail::broadcast_residual(step.in_shape, in, lane.buffer(step.temporal), step.identity, out);
          break;
        case Operation::time_pool: detail::time_pool(step.in_shape, in, out); break;
      }
    }
  }
};

Engine::Engine(Model model, const EngineOptions& options) : impl_(std::make_unique<Impl>(std::move(model), options)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

namespace {
void check_run(const char* function, const float* input, int batch, int frames, const float* logits, int max_batch,
               int max_frames) {
  if (input == nullptr || logits == nullptr) throw InvalidArgument(std::string(function) + ": null input or logits");
  if (batch < 1 || batch > max_batch)
    throw InvalidArgument(std::string(function) + ": batch " + std::to_string(batch) + " outside [1, " +
                          std::to_string(max_batch) + "]");
  if (frames < 1 || frames > max_frames)
    throw InvalidArgument(std::string(function) + ": frames " + std::to_string(frames) + " outside [1, " +
                          std::to_string(max_frames) + "]");
}
}  // namespace

void Engine::run(const float* input, int batch, int frames, float* logits) {
  check_run("Engine::run", input, batch, frames, logits, impl_->max_batch, impl_->max_frames);
  impl_->run(input, batch, frames, detail::Output::pooled, logits);
}

void Engine::run_frames(const float* input, int batch, int frames, float* frame_logits) {
  check_run("Engine::run_frames", input, batch, frames, frame_logits, impl_->max_batch, impl_->max_frames);
  impl_->run(input, batch, frames, detail::Output::per_frame, frame_logits);
}

std::size_t Engine::arena_bytes() const {
  std::size_t bytes = 0;
  for (const Lane& lane : impl_->lanes) bytes += lane.bytes();
  return bytes;
}

std::uint64_t Engine::multiply_adds(int frames) const { return detail::Plan(impl_->net, frames).multiply_adds(); }

const Model& Engine::model() const { return impl_->model; }
Backend Engine::backend() const { return impl_->backend; }
int Engine::max_batch() const { return impl_->max_batch; }
int Engine::max_frames() const { return impl_->max_frames; }
int Engine::threads() const { return int(impl_->lanes.size()); }

}  // namespace kws
