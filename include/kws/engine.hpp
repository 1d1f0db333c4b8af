// BC-ResNet inference: log-mel features in, class logits out.
//
// An Engine binds a Model to a compute backend and to memory planned once, at construction, for
// up to max_batch inputs of up to max_frames frames. run() then does no heap allocation, so it
// can sit on a real-time audio path. At construction BatchNorm is folded into the preceding
// convolution (head, transition 1x1, temporal depthwise, classifier 1x1), SubSpectralNorm
// becomes a per-(channel, sub-band) affine and dropout disappears, so the backend computes
// only convolutions, activations and pooling.
//
// One Engine is used by one thread at a time (it owns the activation arena); create one per
// thread over a shared Model, which is cheap.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kws/model.hpp"

namespace kws {

enum class Backend {
  reference,  // plain loops; the numerical reference the others are tested against
  eigen,      // Eigen 3 matrix kernels (when libkws is built with Eigen)
  onednn,     // oneDNN primitives (when libkws is built with oneDNN)
};

// "reference", "eigen", "onednn".
const char* backend_name(Backend backend);
// Parses a backend_name(); throws InvalidArgument listing the names otherwise.
Backend parse_backend(const std::string& name);
// Whether this build of libkws contains `backend`.
bool backend_available(Backend backend);
// The fastest backend this build contains (eigen when built with Eigen, else reference).
Backend fastest_backend();
// Instruction-set extensions the kernels were compiled for, e.g. "avx512f avx2 fma" (KWS_NATIVE
// builds follow the build machine), or "baseline".
const char* compiled_isa();

struct EngineOptions {
  // The environment variable KWS_BACKEND, when set, overrides this (to switch backends in a
  // deployed program without rebuilding it). Default: the fastest backend in this build.
  Backend backend = fastest_backend();
  int max_batch = 1;
  int max_frames = 0;  // 0: the model's input_frames()
};

class Engine {
 public:
  // Throws InvalidArgument for a non-positive max_batch / max_frames, an unknown KWS_BACKEND or
  // a backend this build lacks.
  explicit Engine(Model model, const EngineOptions& options = {});
  ~Engine();
  Engine(Engine&&) noexcept;
  Engine& operator=(Engine&&) noexcept;

  // input: [batch][1][n_mels][frames] row-major (n_mels = model().feature_config().bins(), i.e.
  // each item is a FeatureMatrix's values); logits: [batch][num_classes]. 1 <= batch <=
  // max_batch and 1 <= frames <= max_frames, else InvalidArgument. Allocates nothing.
  void run(const float* input, int batch, int frames, float* logits);

  // Multiply-adds of one item of `frames` frames (convolutions and the classifier), the
  // denominator of GFLOP/s figures: 2 * multiply_adds(frames) / seconds.
  std::uint64_t multiply_adds(int frames) const;

  const Model& model() const;
  Backend backend() const;
  int max_batch() const;
  int max_frames() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kws
