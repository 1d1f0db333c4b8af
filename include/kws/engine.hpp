// BC-ResNet inference: log-mel features in, class logits out (per window, or per frame for a CTC
// acoustic model).
//
// An Engine binds a Model to a compute backend and to memory planned once, at construction, for
// up to max_batch inputs of up to max_frames frames. run() then does no heap allocation, so it
// can sit on a real-time audio path (the reference and eigen backends; for onednn see Backend). At construction BatchNorm is folded into the preceding
// convolution (head, transition 1x1, temporal depthwise, classifier 1x1), SubSpectralNorm
// becomes a per-(channel, sub-band) affine and dropout disappears, so the backend computes
// only convolutions, activations and pooling.
//
// One Engine is used by one thread at a time (it owns the activation arena); create one per
// thread over a shared Model, which is cheap. EngineOptions::threads lets one Engine spread the
// items of a batch over threads of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "kws/model.hpp"

namespace kws {

enum class Backend {
  reference,  // plain loops; the numerical reference the others are tested against
  eigen,      // vector kernels as wide as the target's registers, with Eigen 3 (when built with Eigen)
  // oneDNN primitives (when libkws is built with oneDNN, KWS_WITH_ONEDNN). Primitives are
  // created at construction for max_frames, and for another frame count by the first run() that
  // uses it (then kept). oneDNN 2.x itself makes a few small heap allocations in every primitive
  // execution (its argument map), a fixed number per run(): not for a hard real-time thread.
  onednn,
};

// "reference", "eigen", "onednn".
const char* backend_name(Backend backend);
// Parses a backend_name(); throws InvalidArgument listing the names otherwise.
Backend parse_backend(const std::string& name);
// Whether this build of libkws contains `backend`.
bool backend_available(Backend backend);
// The fastest backend this build contains for one item of a small model (measured with
// kws-bench engine: eigen when built with Eigen, else reference).
Backend fastest_backend();
// Instruction-set extensions the kernels were compiled for, e.g. "avx512f avx2 fma", "neon" or
// "simd128" (WebAssembly; KWS_NATIVE builds follow the build machine), or "baseline" (x86-64's
// SSE2).
const char* compiled_isa();

struct EngineOptions {
  // The environment variable KWS_BACKEND, when set, overrides this (to switch backends in a
  // deployed program without rebuilding it). Default: the fastest backend in this build.
  Backend backend = fastest_backend();
  int max_batch = 1;
  int max_frames = 0;  // 0: the model's input_frames()
  // Threads one run() uses. The items of a batch are shared out over min(threads, max_batch)
  // lanes, each with its own arena and kernels: lane 0 is the calling thread, the others are
  // worker threads created at construction that sleep between runs. A batch of one runs on the
  // calling thread alone, and each backend computes one item on one thread (oneDNN's OpenMP
  // threads are held to 1), so logits are identical for every thread count. Default 1: no
  // threads are created.
  int threads = 1;
};

class Engine {
 public:
  // Throws InvalidArgument for a non-positive max_batch / max_frames / threads, an unknown
  // KWS_BACKEND or a backend this build lacks.
  explicit Engine(Model model, const EngineOptions& options = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  // input: [batch][1][n_mels][frames] row-major (n_mels = model().feature_config().bins(), i.e.
  // each item is a FeatureMatrix's values); logits: [batch][num_classes]. 1 <= batch <=
  // max_batch and 1 <= frames <= max_frames, else InvalidArgument. Allocates nothing.
  void run(const float* input, int batch, int frames, float* logits);

  // The logits of every frame, for a CTC acoustic model (Model::is_ctc(); any model works):
  // frame_logits is [batch][num_classes][frames]. Same input, limits and guarantees as run()
  // (no allocation, identical for every thread count); run()'s logits are exactly the mean over
  // frames of these, up to rounding. Frame t sees the frames within the network's receptive
  // radius (58 for BC-ResNet) of t, zero-padded at the window's edges.
  void run_frames(const float* input, int batch, int frames, float* frame_logits);

  // Multiply-adds of one item of `frames` frames (convolutions and the classifier), the
  // denominator of GFLOP/s figures: 2 * multiply_adds(frames) / seconds.
  std::uint64_t multiply_adds(int frames) const;

  // Peak working memory in bytes, planned at construction: the activation arenas of all lanes
  // plus the backend's scratchpad and staging buffers, for max_frames (items of a batch reuse
  // their lane's arena, so max_batch does not enter). Excludes the weights.
  std::size_t arena_bytes() const;

  const Model& model() const;
  Backend backend() const;
  int max_batch() const;
  int max_frames() const;
  int threads() const;  // lanes actually used: min(EngineOptions::threads, max_batch)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kws
