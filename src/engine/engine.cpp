// Engine: backend choice, the activation arena, and the BC-ResNet forward pass over Kernels.
// The graph walk (sub-band affine, frequency mean, broadcast residual, pooling) is shared by all
// backends; only the convolutions differ.
#include "kws/engine.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/network.hpp"
#include "kws/error.hpp"
#include "model/architecture.hpp"

namespace kws {

using detail::Block;
using detail::Network;

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::reference: return "reference";
    case Backend::eigen: return "eigen";
    case Backend::onednn: return "onednn";
  }
  return "unknown";
}

Backend parse_backend(const std::string& name) {
  for (Backend b : {Backend::reference, Backend::eigen, Backend::onednn})
    if (name == backend_name(b)) return b;
  throw InvalidArgument("unknown backend \"" + name + "\" (expected reference, eigen or onednn)");
}

bool backend_available(Backend backend) {
  switch (backend) {
    case Backend::reference: return true;
#ifdef KWS_HAVE_EIGEN
    case Backend::eigen: return true;
#endif
#ifdef KWS_HAVE_ONEDNN
    case Backend::onednn: return true;
#endif
    default: return false;
  }
}

// Measured (batch 1, 101 frames, 1 thread, fastest of 200 runs, 2-core AVX-512 development
// machine, KWS_NATIVE): eigen 0.34 ms vs onednn 0.45 ms at tau 1, 3.95 ms vs 6.2 ms at tau 8;
// kws-bench engine medians agree (0.36 vs 0.90 ms, 8.4 vs 12.1 ms on a busy machine). oneDNN pays per primitive call (three per depthwise layer with the NHWC reorders) on
// layers this small, so eigen stays the default whenever it is built.
Backend fastest_backend() {
  return backend_available(Backend::eigen) ? Backend::eigen : Backend::reference;
}

const char* compiled_isa() {
  return ""
#if defined(__AVX512F__)
         "avx512f "
#endif
#if defined(__AVX2__)
         "avx2 "
#endif
#if defined(__FMA__)
         "fma "
#endif
#if !defined(__AVX2__)
         "baseline "
#endif
      ;
}

namespace {

std::uint64_t depthwise_multiply_adds(const detail::DepthwiseConv& conv, int h, int w) {
  return std::uint64_t(conv.channels) * std::uint64_t(conv.kernel_h * conv.kernel_w) *
         std::uint64_t(conv.out_h(h)) * std::uint64_t(conv.out_w(w));
}

std::uint64_t pointwise_multiply_adds(const detail::PointwiseConv& conv, int pixels) {
  return std::uint64_t(conv.in_channels) * std::uint64_t(conv.out_channels) * std::uint64_t(pixels);
}

std::unique_ptr<detail::Kernels> make_kernels(Backend backend) {
  switch (backend) {
    case Backend::reference: return detail::make_reference_kernels();
#ifdef KWS_HAVE_EIGEN
    case Backend::eigen: return detail::make_eigen_kernels();
#endif
#ifdef KWS_HAVE_ONEDNN
    case Backend::onednn: return detail::make_onednn_kernels();
#endif
    default: break;
  }
  throw InvalidArgument(std::string("backend ") + backend_name(backend) + " is not built into this libkws");
}

// What one thread needs to run items: its own kernels (a oneDNN stream and scratchpad, say) and
// its own activation arena.
struct Lane {
  std::unique_ptr<detail::Kernels> kernels;
  // Three [C][H][W] buffers for the largest layer and two [C][W] ones, sized for max_frames at
  // construction so run() never allocates. 64-byte aligned (detail::Floats): equal alignment in
  // every lane keeps results identical whichever lane computes an item.
  detail::Floats big[3];
  detail::Floats small[2];
};

}  // namespace

struct Engine::Impl {
  Model model;
  Backend backend;
  int max_batch, max_frames;
  Network net;
  // lanes[0] runs on the caller of run(); lanes[k > 0] on workers[k - 1].
  std::vector<Lane> lanes;
  std::vector<std::thread> workers;

  // The batch being run, handed to the workers under `mutex`: each lane takes items lane,
  // lane + lanes.size(), ... A new generation wakes the workers; `pending` counts those not done.
  std::mutex mutex;
  std::condition_variable wake, done;
  std::uint64_t generation = 0;
  int pending = 0;
  bool stopping = false;
  const float* job_input = nullptr;
  int job_batch = 0, job_frames = 0;
  float* job_logits = nullptr;
  std::exception_ptr failure;

  Impl(Model m, const EngineOptions& options) : model(std::move(m)) {
    backend = options.backend;
    if (const char* env = std::getenv("KWS_BACKEND"); env != nullptr && *env != '\0') backend = parse_backend(env);
    if (!backend_available(backend))
      throw InvalidArgument(std::string("backend ") + backend_name(backend) + " is not built into this libkws");
    if (options.max_batch < 1) throw InvalidArgument("EngineOptions.max_batch must be positive");
    if (options.max_frames < 0) throw InvalidArgument("EngineOptions.max_frames must be positive (or 0)");
    if (options.threads < 1) throw InvalidArgument("EngineOptions.threads must be positive");
    max_batch = options.max_batch;
    max_frames = options.max_frames > 0 ? options.max_frames : model.input_frames();
    net = detail::build_network(model);
    // More lanes than items in the largest batch would never run.
    lanes.resize(std::size_t(std::min(options.threads, max_batch)));
    const std::vector<float> silence(std::size_t(net.input_rows) * std::size_t(max_frames), 0.0f);
    std::vector<float> logits(std::size_t(net.num_classes));
    for (Lane& lane : lanes) {
      lane.kernels = make_kernels(backend);
      lane.kernels->reserve(net, max_frames);
      plan(lane, max_frames);
      // A backend that builds per-shape state (oneDNN primitives) builds it for max_frames now.
      if (lane.kernels->builds_per_shape()) forward(lane, silence.data(), max_frames, logits.data());
    }
    try {
      for (std::size_t k = 1; k < lanes.size(); ++k) workers.emplace_back([this, k] { work(k); });
    } catch (...) {
      stop();  // the destructor does not run for a constructor that throws
      throw;
    }
  }

  ~Impl() { stop(); }

  void stop() {
    {
      const std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread& worker : workers) worker.join();
  }

  // Items lane, lane + lanes.size(), ... of the current job.
  void run_items(std::size_t lane) {
    const std::size_t item = std::size_t(net.input_rows) * std::size_t(job_frames);
    for (std::size_t i = lane; i < std::size_t(job_batch); i += lanes.size())
      forward(lanes[lane], job_input + i * item, job_frames, job_logits + i * std::size_t(net.num_classes));
  }

  void work(std::size_t lane) {
    std::uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
      }
      std::exception_ptr error;
      try {
        run_items(lane);
      } catch (...) {
        error = std::current_exception();
      }
      const std::lock_guard<std::mutex> lock(mutex);
      if (error && !failure) failure = error;
      if (--pending == 0) done.notify_one();
    }
  }

  void run(const float* input, int batch, int frames, float* logits) {
    job_input = input;
    job_batch = batch;
    job_frames = frames;
    job_logits = logits;
    if (batch == 1 || workers.empty()) {
      run_items(0);
      return;
    }
    {
      const std::lock_guard<std::mutex> lock(mutex);
      ++generation;
      pending = int(workers.size());
      failure = nullptr;
    }
    wake.notify_all();
    std::exception_ptr error;
    try {
      run_items(0);
    } catch (...) {
      error = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return pending == 0; });
    if (!error) error = failure;
    if (error) std::rethrow_exception(error);
  }

  // Walks the layer shapes for `frames` and sizes the lane's arena for the largest.
  void plan(Lane& lane, int frames) {
    std::size_t big_size = 0, small_size = 0;
    auto need = [&](int c, int h) { big_size = std::max(big_size, std::size_t(c) * std::size_t(h) * std::size_t(frames)); };
    int h = net.head.out_h(net.input_rows);
    need(net.head.channels, h);
    for (const Block& block : net.blocks) {
      if (block.transition) need(block.expand.out_channels, h);
      h = block.frequency.out_h(h);
      need(block.frequency.channels, h);
      small_size = std::max(small_size, std::size_t(block.frequency.channels) * std::size_t(frames));
    }
    need(net.classifier_dw.channels, net.classifier_dw.out_h(h));
    need(net.classifier_pw.out_channels, net.classifier_dw.out_h(h));
    small_size = std::max(small_size, std::size_t(net.classifier_pw.out_channels));
    for (auto& buffer : lane.big) buffer.assign(big_size, 0.0f);
    for (auto& buffer : lane.small) buffer.assign(small_size, 0.0f);
  }

  // One item: input [rows][w] -> logits [num_classes].
  void forward(Lane& lane, const float* input, int w, float* logits) {
    detail::Kernels& k = *lane.kernels;
    k.begin_item(w);
    float* x = lane.big[0].data();
    float* a = lane.big[1].data();
    float* b = lane.big[2].data();
    float* t0 = lane.small[0].data();
    float* t1 = lane.small[1].data();
    const std::size_t width = std::size_t(w);

    int h = net.input_rows;
    k.depthwise(net.head, input, h, w, x);
    h = net.head.out_h(h);

    for (const Block& block : net.blocks) {
      const float* f2_in = x;
      if (block.transition) {
        k.pointwise(block.expand, x, h * w, a);
        f2_in = a;
      }
      k.depthwise(block.frequency, f2_in, h, w, b);
      const int out_h = block.frequency.out_h(h);
      const int c_out = block.frequency.channels;
      // SubSpectralNorm, then the frequency mean for the temporal branch.
      const int band = out_h / detail::kSubBands;
      const std::size_t plane = std::size_t(out_h) * width;
      for (int c = 0; c < c_out; ++c) {
        float* y = b + std::size_t(c) * plane;
        float* mean = t0 + std::size_t(c) * width;
        std::fill(mean, mean + width, 0.0f);
        for (int r = 0; r < out_h; ++r) {
          const std::size_t g = std::size_t(c) * detail::kSubBands + std::size_t(r / band);
          const float scale = block.subspectral.scale[g], shift = block.subspectral.shift[g];
          float* row = y + std::size_t(r) * width;
          for (std::size_t t = 0; t < width; ++t) {
            row[t] = row[t] * scale + shift;
            mean[t] += row[t];
          }
        }
        const float inv = 1.0f / float(out_h);
        for (std::size_t t = 0; t < width; ++t) mean[t] *= inv;
      }
      k.depthwise(block.temporal, t0, 1, w, t1);
      k.pointwise(block.mix, t1, w, t0);
      // out = ReLU(x2d + broadcast(temporal) [+ x]); written over x, which is no longer needed
      // beyond its own element (identity) or at all (transition).
      for (int c = 0; c < c_out; ++c) {
        const float* y = b + std::size_t(c) * plane;
        const float* temporal = t0 + std::size_t(c) * width;
        float* out = x + std::size_t(c) * plane;
        for (int r = 0; r < out_h; ++r) {
          for (std::size_t t = 0; t < width; ++t) {
            const std::size_t i = std::size_t(r) * width + t;
            float v = y[i] + temporal[t];
            if (!block.transition) v += out[i];
            out[i] = v > 0.0f ? v : 0.0f;
          }
        }
      }
      h = out_h;
    }

    k.depthwise(net.classifier_dw, x, h, w, a);
    h = net.classifier_dw.out_h(h);
    k.pointwise(net.classifier_pw, a, h * w, b);
    const std::size_t pixels = std::size_t(h) * width;
    for (int c = 0; c < net.classifier_pw.out_channels; ++c) {
      const float* y = b + std::size_t(c) * pixels;
      float sum = 0.0f;
      for (std::size_t p = 0; p < pixels; ++p) sum += y[p];
      t0[c] = sum / float(pixels);
    }
    k.pointwise(net.output, t0, 1, logits);
  }
};

Engine::Engine(Model model, const EngineOptions& options) : impl_(std::make_unique<Impl>(std::move(model), options)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

void Engine::run(const float* input, int batch, int frames, float* logits) {
  if (input == nullptr || logits == nullptr) throw InvalidArgument("Engine::run: null input or logits");
  if (batch < 1 || batch > impl_->max_batch)
    throw InvalidArgument("Engine::run: batch " + std::to_string(batch) + " outside [1, " +
                          std::to_string(impl_->max_batch) + "]");
  if (frames < 1 || frames > impl_->max_frames)
    throw InvalidArgument("Engine::run: frames " + std::to_string(frames) + " outside [1, " +
                          std::to_string(impl_->max_frames) + "]");
  impl_->run(input, batch, frames, logits);
}

std::size_t Engine::arena_bytes() const {
  std::size_t bytes = 0;
  for (const Lane& lane : impl_->lanes) {
    for (const auto& buffer : lane.big) bytes += buffer.size() * sizeof(float);
    for (const auto& buffer : lane.small) bytes += buffer.size() * sizeof(float);
    bytes += lane.kernels->workspace_bytes();
  }
  return bytes;
}

std::uint64_t Engine::multiply_adds(int frames) const {
  // The same walk as forward(), counting instead of computing.
  const Network& net = impl_->net;
  int h = net.input_rows;
  std::uint64_t total = depthwise_multiply_adds(net.head, h, frames);
  h = net.head.out_h(h);
  for (const detail::Block& block : net.blocks) {
    if (block.transition) total += pointwise_multiply_adds(block.expand, h * frames);
    total += depthwise_multiply_adds(block.frequency, h, frames);
    h = block.frequency.out_h(h);
    total += depthwise_multiply_adds(block.temporal, 1, frames);
    total += pointwise_multiply_adds(block.mix, frames);
  }
  total += depthwise_multiply_adds(net.classifier_dw, h, frames);
  h = net.classifier_dw.out_h(h);
  total += pointwise_multiply_adds(net.classifier_pw, h * frames);
  total += pointwise_multiply_adds(net.output, 1);
  return total;
}

const Model& Engine::model() const { return impl_->model; }
Backend Engine::backend() const { return impl_->backend; }
int Engine::max_batch() const { return impl_->max_batch; }
int Engine::max_frames() const { return impl_->max_frames; }
int Engine::threads() const { return int(impl_->lanes.size()); }

}  // namespace kws
