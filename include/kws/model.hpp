// A trained BC-ResNet model, as read from a libkws model file: a keyword classifier, or a CTC
// acoustic model over phonemes for open-vocabulary keywords (kws/spotter.hpp).
//
// The file is the safetensors layout: an 8-byte little-endian header length N, N bytes of UTF-8
// JSON (tensor table + "__metadata__"), then raw little-endian float32 tensors. The tensors are
// the PyTorch eval state_dict of bindings/python/kws/bcresnet.py (BatchNorm unfolded), so a file
// written by `kws_training.export` from a trained checkpoint loads here unchanged. See
// src/model/MODEL_FORMAT.md for the full format.
//
// Loading validates everything (header bounds, JSON, dtypes, shapes, offsets, the exact tensor
// set of the declared architecture, metadata, finiteness of every weight) before any weight is
// used, and throws kws::FileError (corrupt_data or unsupported_format) saying what is wrong:
// model files come from users, so a bad one must never reach the arithmetic.
//
// A Model is immutable once loaded. Copies share the same weights (cheap), and one Model may be
// used from any number of threads at once.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kws/features.hpp"

namespace kws {

namespace detail {
struct ModelData;  // defined in src/
}

// A read-only view of one weight tensor, row-major (PyTorch order), owned by its Model.
struct TensorView {
  const float* data = nullptr;
  std::vector<int> shape;
  std::size_t size() const {
    std::size_t n = 1;
    for (int d : shape) n *= std::size_t(d);
    return n;
  }
};

// How a CTC model's tokens are made from text (the file's "phonemizer" metadata): e.g. engine
// "espeak-ng", voice "en-us", notation "mnemonic" (espeak-ng's ASCII phoneme names, stress marks
// removed). Empty fields for a classifier.
struct PhonemizerSpec {
  std::string engine;
  std::string voice;
  std::string notation;
};

class Model {
 public:
  // Reads and validates a model file. Throws FileError: io when it cannot be read, corrupt_data
  // or unsupported_format when its contents are wrong (the message starts with the path).
  static Model load(const std::string& path);
  // Same, from a complete model file in memory (copied; the buffer may be freed afterwards).
  static Model load(const void* data, std::size_t size);

  // Architecture: "bcresnet" (a classifier: one logit vector per window, for Classifier and
  // Detector) or "bcresnet_ctc" (a CTC acoustic model over phoneme tokens with the same tensors:
  // logits per frame, labels()[0] = "_blank_", for Spotter and transcribe()).
  const std::string& architecture() const;
  bool is_ctc() const;  // architecture() == "bcresnet_ctc"
  // A CTC model's phonemizer; empty fields for a classifier.
  const PhonemizerSpec& phonemizer() const;
  // Width multiplier, one of 1, 1.5, 2, 3, 6, 8; base channels are int(8 * tau).
  float tau() const;
  int num_classes() const;
  // Class names, one per logit, in output order.
  const std::vector<std::string>& labels() const;
  // The front end the model was trained with; its bins() are the network's input rows.
  const FeatureConfig& feature_config() const;
  // Frames of the analysis window the model was trained on (101 for 1 s in the recipe). The
  // network itself accepts any frame count.
  int input_frames() const;
  // BatchNorm epsilon used when the running statistics are folded into the convolutions.
  float bn_eps() const;
  // Per-label detection thresholds suggested by the exporter; empty when the file has none.
  const std::map<std::string, float>& thresholds() const;
  // Free text from the exporter; empty when absent.
  const std::string& description() const;

  // Tensor names, in file order, and the tensors themselves. tensor() throws InvalidArgument
  // for a name the model does not have.
  std::vector<std::string> tensor_names() const;
  bool has_tensor(const std::string& name) const;
  TensorView tensor(const std::string& name) const;

 private:
  explicit Model(std::shared_ptr<const detail::ModelData> impl);
  std::shared_ptr<const detail::ModelData> impl_;
};

}  // namespace kws
