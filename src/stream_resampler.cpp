#include "stream_resampler.hpp"

#ifdef KWS_HAVE_SOXR
#include <soxr.h>
#endif

#include <string>

#include "kws/error.hpp"
#include "optional_dependency.hpp"

namespace kws::detail {

#ifdef KWS_HAVE_SOXR

namespace {
soxr_t create(int from_rate, int to_rate) {
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  // One thread: soxr's OpenMP path would make the output depend on scheduling.
  const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);
  soxr_error_t error = nullptr;
  soxr_t soxr = soxr_create(from_rate, to_rate, 1, &error, &io, &quality, &runtime);
  if (error != nullptr || soxr == nullptr)
    throw Error(ErrorCode::internal, std::string("soxr_create: ") + (error ? error : "failed"));
  return soxr;
}
}  // namespace

StreamResampler::StreamResampler(int from_rate, int to_rate) : from_rate_(from_rate), to_rate_(to_rate) {
  soxr_ = create(from_rate, to_rate);
}

StreamResampler::~StreamResampler() { soxr_delete(static_cast<soxr_t>(soxr_)); }

std::size_t StreamResampler::process(const float* in, std::size_t count, std::size_t* consumed, float* out,
                                     std::size_t capacity) {
  std::size_t used = 0, produced = 0;
  const soxr_error_t error =
      soxr_process(static_cast<soxr_t>(soxr_), in, count, &used, out, capacity, &produced);
  if (error != nullptr) throw Error(ErrorCode::internal, std::string("soxr_process: ") + error);
  *consumed = used;
  return produced;
}

std::size_t StreamResampler::flush(float* out, std::size_t capacity) {
  std::size_t produced = 0;
  // A null input tells soxr the input has ended, so it emits its filter tail.
  const soxr_error_t error = soxr_process(static_cast<soxr_t>(soxr_), nullptr, 0, nullptr, out, capacity, &produced);
  if (error != nullptr) throw Error(ErrorCode::internal, std::string("soxr_process: ") + error);
  return produced;
}

void StreamResampler::reset() {
  if (soxr_clear(static_cast<soxr_t>(soxr_)) != nullptr) {
    soxr_delete(static_cast<soxr_t>(soxr_));
    soxr_ = nullptr;
    soxr_ = create(from_rate_, to_rate_);
  }
}

#else  // no libsoxr: a stream at another rate than the model's is refused when it is created

StreamResampler::StreamResampler(int from_rate, int to_rate) : from_rate_(from_rate), to_rate_(to_rate) {
  throw_not_built_with("a " + std::to_string(from_rate_) + " Hz stream for a " + std::to_string(to_rate_) +
                           " Hz model (push PCM at " + std::to_string(to_rate_) + " Hz)",
                       "libsoxr", "KWS_WITH_SOXR");
}
StreamResampler::~StreamResampler() = default;
// Unreachable: no StreamResampler exists without libsoxr.
std::size_t StreamResampler::process(const float*, std::size_t, std::size_t* consumed, float*, std::size_t) {
  *consumed = 0;
  return 0;
}
std::size_t StreamResampler::flush(float*, std::size_t) { return 0; }
void StreamResampler::reset() { soxr_ = nullptr; }
#endif  // KWS_HAVE_SOXR

}  // namespace kws::detail
