#include "kws/audio.hpp"

#ifdef KWS_HAVE_SNDFILE
#include <sndfile.h>
#endif
#ifdef KWS_HAVE_SOXR
#include <soxr.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "kws/error.hpp"
#include "optional_dependency.hpp"
#include "sample_rate.hpp"
#include "samples.hpp"

namespace kws {

#ifdef KWS_HAVE_SNDFILE
namespace {

constexpr int kMaxChannels = 256;

// libsndfile's virtual I/O over a read-only memory image.
struct MemoryFile {
  const unsigned char* data;
  sf_count_t size;
  sf_count_t position;
};

sf_count_t memory_length(void* user) { return static_cast<MemoryFile*>(user)->size; }
sf_count_t memory_seek(sf_count_t offset, int whence, void* user) {
  auto* file = static_cast<MemoryFile*>(user);
  sf_count_t base = whence == SEEK_CUR ? file->position : whence == SEEK_END ? file->size : 0;
  const sf_count_t target = base + offset;
  if (target < 0 || target > file->size) return -1;
  file->position = target;
  return target;
}
sf_count_t memory_read(void* destination, sf_count_t count, void* user) {
  auto* file = static_cast<MemoryFile*>(user);
  const sf_count_t available = std::max<sf_count_t>(0, file->size - file->position);
  const sf_count_t n = std::min(count, available);
  if (n > 0) std::memcpy(destination, file->data + file->position, std::size_t(n));
  file->position += n;
  return n;
}
sf_count_t memory_write(const void*, sf_count_t, void*) { return 0; }
sf_count_t memory_tell(void* user) { return static_cast<MemoryFile*>(user)->position; }

struct SndfileCloser {
  void operator()(SNDFILE* file) const { sf_close(file); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

std::string format_name(int format) {
  SF_FORMAT_INFO info{};
  std::string name;
  info.format = format & SF_FORMAT_TYPEMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof(info)) == 0 && info.name) name = info.name;
  info = SF_FORMAT_INFO{};
  info.format = format & SF_FORMAT_SUBMASK;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof(info)) == 0 && info.name)
    name += std::string(name.empty() ? "" : " / ") + info.name;
  return name;
}

// libsndfile's message for a failed open, sorted into our error codes.
[[noreturn]] void throw_open_error(const std::string& source, SNDFILE* attempt) {
  const int code = sf_error(attempt);
  const std::string reason = sf_strerror(attempt);
  const ErrorCode kind = code == SF_ERR_UNRECOGNISED_FORMAT ? ErrorCode::unsupported_format
                         : code == SF_ERR_SYSTEM            ? ErrorCode::io
                                                            : ErrorCode::corrupt_data;
  throw FileError(kind, source + ": cannot read audio: " + reason);
}

void check_info(const std::string& source, const SF_INFO& info, const AudioReadOptions& options) {
  if (info.channels <= 0 || info.channels > kMaxChannels)
    throw FileError(ErrorCode::corrupt_data,
                    source + ": invalid channel count " + std::to_string(info.channels));
  if (!valid_sample_rate(info.samplerate))
    throw FileError(ErrorCode::corrupt_data,
                    source + ": invalid sample rate " + std::to_string(info.samplerate) + " Hz, outside " +
                        detail::sample_rate_range());
  if (info.frames < 0)
    throw FileError(ErrorCode::corrupt_data, source + ": invalid frame count");
  if (options.max_seconds > 0 && double(info.frames) / info.samplerate > options.max_seconds)
    throw FileError(ErrorCode::invalid_argument,
                    source + ": " + std::to_string(double(info.frames) / info.samplerate) +
                        " s is longer than the limit of " + std::to_string(options.max_seconds) + " s");
  if (options.max_samples > 0 && double(info.frames) * info.channels > double(options.max_samples))
    throw FileError(ErrorCode::invalid_argument,
                    source + ": decodes to " + std::to_string(std::int64_t(info.frames) * info.channels) +
                        " samples, more than the limit of " + std::to_string(options.max_samples));
  if (options.target_sample_rate != 0 && !valid_sample_rate(options.target_sample_rate))
    throw InvalidArgument("target_sample_rate " + std::to_string(options.target_sample_rate) + " is neither 0 nor in " +
                          detail::sample_rate_range());
}

Audio decode(const std::string& source, SNDFILE* file, const SF_INFO& info, const AudioReadOptions& options) {
  check_info(source, info, options);
  Audio audio;
  audio.sample_rate = info.samplerate;
  audio.source = AudioInfo{info.samplerate, info.channels, std::int64_t(info.frames), format_name(info.format)};
  // Never trust the header's frame count for allocation: grow with what actually decodes, so a
  // lying header costs nothing and a truncated file yields the audio that is there.
  const std::size_t channels = std::size_t(info.channels);
  const sf_count_t block_frames = 16384;
  std::vector<float> block(std::size_t(block_frames) * channels);
  const double limit_frames = options.max_seconds > 0 ? options.max_seconds * info.samplerate : 0.0;
  for (;;) {
    const sf_count_t got = sf_readf_float(file, block.data(), block_frames);
    if (got <= 0) break;
    const std::size_t start = audio.samples.size();
    audio.samples.resize(start + std::size_t(got));
    for (std::size_t f = 0; f < std::size_t(got); ++f) {
      float sum = 0.0f;
      for (std::size_t c = 0; c < channels; ++c) sum += block[f * channels + c];
      audio.samples[start + f] = channels == 1 ? sum : sum / float(channels);
    }
    if (limit_frames > 0 && double(audio.samples.size()) > limit_frames)
      throw FileError(ErrorCode::invalid_argument,
                      source + ": longer than the limit of " + std::to_string(options.max_seconds) + " s");
    if (options.max_samples > 0 && audio.samples.size() * channels > options.max_samples)
      throw FileError(ErrorCode::invalid_argument,
                      source + ": decodes to more than the limit of " + std::to_string(options.max_samples) + " samples");
  }
  if (sf_error(file) != SF_ERR_NO_ERROR && audio.samples.empty())
    throw FileError(ErrorCode::corrupt_data, source + ": cannot decode audio: " + sf_strerror(file));
  for (float& sample : audio.samples) sample = detail::finite_or_zero(sample);  // float WAVs may carry NaN/Inf
  if (options.target_sample_rate > 0 && options.target_sample_rate != audio.sample_rate) {
    audio.samples = resample(audio.samples.data(), audio.samples.size(), audio.sample_rate,
                             options.target_sample_rate);
    audio.sample_rate = options.target_sample_rate;
  }
  return audio;
}

}  // namespace

AudioInfo probe_audio(const std::string& path) {
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw_open_error(path, nullptr);
  check_info(path, info, AudioReadOptions{0, 0.0});
  return AudioInfo{info.samplerate, info.channels, std::int64_t(info.frames), format_name(info.format)};
}

Audio read_audio(const std::string& path, const AudioReadOptions& options) {
  SF_INFO info{};
  SndfilePtr file(sf_open(path.c_str(), SFM_READ, &info));
  if (!file) throw_open_error(path, nullptr);
  return decode(path, file.get(), info, options);
}

Audio read_audio(const void* data, std::size_t size, const AudioReadOptions& options) {
  const std::string source = "audio buffer";
  if (data == nullptr && size > 0) throw InvalidArgument("audio buffer is null");
  if (size == 0) throw FileError(ErrorCode::corrupt_data, source + ": empty (0 bytes)");
  MemoryFile memory{static_cast<const unsigned char*>(data), sf_count_t(size), 0};
  SF_VIRTUAL_IO io{memory_length, memory_seek, memory_read, memory_write, memory_tell};
  SF_INFO info{};
  SndfilePtr file(sf_open_virtual(&io, SFM_READ, &info, &memory));
  if (!file) throw_open_error(source, nullptr);
  return decode(source, file.get(), info, options);
}

void write_wav(const std::string& path, const float* samples, std::size_t count, int sample_rate,
               WavEncoding encoding) {
  if (samples == nullptr && count > 0) throw InvalidArgument("samples is null");
  if (!valid_sample_rate(sample_rate))
    throw InvalidArgument("sample rate " + std::to_string(sample_rate) + " outside " +
                          detail::sample_rate_range());
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | (encoding == WavEncoding::pcm16 ? SF_FORMAT_PCM_16 : SF_FORMAT_FLOAT);
  SndfilePtr file(sf_open(path.c_str(), SFM_WRITE, &info));
  if (!file)
    throw FileError(ErrorCode::io, path + ": cannot write: " + sf_strerror(nullptr));
  // Clip rather than wrap around when converting to integers.
  sf_command(file.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
  if (sf_writef_float(file.get(), samples, sf_count_t(count)) != sf_count_t(count))
    throw FileError(ErrorCode::io, path + ": write failed: " + sf_strerror(file.get()));
}

#else  // no libsndfile: no audio files; PCM in memory works everywhere

AudioInfo probe_audio(const std::string& path) {
  detail::throw_not_built_with(path + ": cannot read audio", "libsndfile", "KWS_WITH_SNDFILE");
}

Audio read_audio(const std::string& path, const AudioReadOptions&) {
  detail::throw_not_built_with(path + ": cannot read audio", "libsndfile", "KWS_WITH_SNDFILE");
}

Audio read_audio(const void*, std::size_t, const AudioReadOptions&) {
  detail::throw_not_built_with("audio buffer: cannot decode audio", "libsndfile", "KWS_WITH_SNDFILE");
}

void write_wav(const std::string& path, const float*, std::size_t, int, WavEncoding) {
  detail::throw_not_built_with(path + ": cannot write audio", "libsndfile", "KWS_WITH_SNDFILE");
}
#endif  // KWS_HAVE_SNDFILE

std::vector<float> resample(const float* samples, std::size_t count, int from_rate, int to_rate) {
  if (!valid_sample_rate(from_rate) || !valid_sample_rate(to_rate))
    throw InvalidArgument("resample: sample rates must be in " + detail::sample_rate_range() +
                          ", got " + std::to_string(from_rate) + " -> " + std::to_string(to_rate));
  if (samples == nullptr && count > 0) throw InvalidArgument("resample: samples is null");
  if (count > detail::kMaxSampleCount) throw InvalidArgument("resample: impossible sample count");
  std::vector<float> finite;  // NaN/Inf cleaned first: the filter would spread one to its neighbours
  if (!detail::all_finite(samples, count)) {
    finite.resize(count);
    std::transform(samples, samples + count, finite.begin(), detail::finite_or_zero);
    samples = finite.data();
  }
  if (from_rate == to_rate || count == 0) return std::vector<float>(samples, samples + count);
#ifdef KWS_HAVE_SOXR
  const double ratio = double(to_rate) / from_rate;
  std::vector<float> out(std::size_t(std::ceil(double(count) * ratio)) + 1);
  std::size_t used = 0, produced = 0;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  const soxr_error_t error = soxr_oneshot(from_rate, to_rate, 1, samples, count, &used, out.data(),
                                          out.size(), &produced, &io, &quality, nullptr);
  if (error) throw Error(ErrorCode::internal, std::string("resample: ") + error);
  out.resize(produced);
  return out;
#else
  detail::throw_not_built_with("resample " + std::to_string(from_rate) + " -> " + std::to_string(to_rate) +
                                   " Hz (pass PCM at " + std::to_string(to_rate) + " Hz)",
                               "libsoxr", "KWS_WITH_SOXR");
#endif
}

}  // namespace kws
