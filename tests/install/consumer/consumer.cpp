// A program that only knows the installed libkws headers and library.
#include <kws/engine.hpp>
#include <kws/features.hpp>
#include <kws/version.h>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  std::vector<float> tone(16000);
  for (std::size_t i = 0; i < tone.size(); ++i) tone[i] = 0.5f * float(std::sin(0.2 * double(i)));
  kws::FeatureExtractor extractor{kws::FeatureConfig{}};
  const kws::FeatureMatrix features = extractor.compute(tone);
  std::printf("libkws %s: %zu x %zu log-mel\n", KWS_VERSION_STRING, features.rows, features.cols);
  // Engine code pulls in the backends' link dependencies (oneDNN where built) from a static libkws.
  for (kws::Backend backend : {kws::Backend::reference, kws::Backend::eigen, kws::Backend::onednn})
    std::printf("backend %s: %s\n", kws::backend_name(backend), kws::backend_available(backend) ? "yes" : "no");
  return features.rows == 40 && features.cols == 101 ? 0 : 1;
}
