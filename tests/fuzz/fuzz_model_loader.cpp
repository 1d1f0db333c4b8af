// libFuzzer target: arbitrary bytes as a model file. Loading must either succeed or throw
// kws::Error; a model that loads must run (the engine trusts what the loader accepted). The seeds
// include a CTC model (format_version 2), whose metadata rules the loader checks too.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kws/engine.hpp"
#include "kws/error.hpp"
#include "kws/model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    kws::Model model = kws::Model::load(data, size);
    kws::EngineOptions options;
    options.max_frames = 24;  // keeps each run cheap whatever tau the file declares
    kws::Engine engine(model, options);
    std::vector<float> input(std::size_t(model.feature_config().bins()) * 24, 0.25f);
    std::vector<float> logits(std::size_t(model.num_classes()) * 24);
    engine.run(input.data(), 1, 24, logits.data());
    if (model.is_ctc()) engine.run_frames(input.data(), 1, 24, logits.data());  // a CTC model's own output
  } catch (const kws::Error&) {
    // Rejected with a message: what must happen to bad input.
  }
  return 0;
}
