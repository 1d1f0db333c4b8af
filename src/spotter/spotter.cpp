// Spotter: stream input -> feature frames -> FrameLogits (per-frame logits) -> KeywordSearch.
#include "kws/spotter.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <string>

#include "detector_options.hpp"
#include "kws/error.hpp"
#include "kws/phonemizer.hpp"
#include "model/architecture.hpp"
#include "spotter/frame_logits.hpp"
#include "spotter/keyword_search.hpp"
#include "stream_input.hpp"

namespace kws {

namespace {

std::vector<std::string> split_spaces(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string token; in >> token;) out.push_back(token);
  return out;
}

std::string inventory(const Model& model) {
  std::string out;
  for (std::size_t i = 1; i < model.labels().size(); ++i) out += (i > 1 ? " " : "") + model.labels()[i];
  return out;
}

void require_spotter_options(const SpotterOptions& options) {
  if (!(options.default_threshold > 0.0f && options.default_threshold <= 1.0f))
    throw InvalidArgument("SpotterOptions.default_threshold must be in (0, 1]");
  if (!(options.refractory_seconds >= 0.0 && options.refractory_seconds <= 3600.0))
    throw InvalidArgument("SpotterOptions.refractory_seconds must be in [0, 3600]");
  if (!(options.peak_seconds >= 0.0 && options.peak_seconds <= 10.0))
    throw InvalidArgument("SpotterOptions.peak_seconds must be in [0, 10]");
}

// The keywords' tokens as label indices, checked against the model's inventory.
std::vector<SpotterKeyword> resolve(const Model& model, const std::vector<Keyword>& keywords,
                                    const SpotterOptions& options, std::vector<detail::SearchKeyword>& search) {
  if (keywords.empty()) throw InvalidArgument("Spotter: no keywords");
  std::map<std::string, int> index;
  for (std::size_t i = 1; i < model.labels().size(); ++i) index[model.labels()[i]] = int(i);
  std::vector<SpotterKeyword> out;
  for (const Keyword& keyword : keywords) {
    const bool text = !keyword.text.empty(), phonemes = !keyword.phonemes.empty();
    if (text == phonemes)
      throw InvalidArgument("Spotter: a keyword needs exactly one of text and phonemes (got " +
                            std::string(text ? "both" : "neither") + ")");
    SpotterKeyword resolved;
    resolved.name = !keyword.name.empty() ? keyword.name : text ? keyword.text : keyword.phonemes;
    resolved.tokens = text ? phonemize(model.phonemizer(), keyword.text) : split_spaces(keyword.phonemes);
    resolved.threshold = keyword.threshold.value_or(options.default_threshold);
    resolved.boost = keyword.boost;
    detail::SearchKeyword entry;
    std::string unknown;
    for (const std::string& token : resolved.tokens) {
      const auto found = index.find(token);
      if (found == index.end())
        unknown += (unknown.empty() ? "" : " ") + token;
      else
        entry.tokens.push_back(found->second);
    }
    if (!unknown.empty())
      throw InvalidArgument("Spotter: keyword \"" + resolved.name + "\" has tokens the model does not know: " + unknown +
                            " (the model's tokens: " + inventory(model) + ")");
    entry.threshold = resolved.threshold;
    entry.boost = resolved.boost;
    search.push_back(std::move(entry));
    out.push_back(std::move(resolved));
  }
  return out;
}

const Model& checked_ctc(const Model& model, const char* user) {
  detail::require_model_kind(model, true, user);
  return model;
}

}  // namespace

struct Spotter::Impl {
  Model model;
  SpotterOptions options;
  std::vector<detail::SearchKeyword> search_keywords;  // filled by resolve(), then moved into search
  std::vector<SpotterKeyword> keywords;
  detail::StreamInput input;
  detail::FrameLogits frames;
  detail::KeywordSearch search;
  std::vector<detail::SearchEvent> events;  // room for one event per keyword
  Sink sink = nullptr;
  void* sink_context = nullptr;

  Impl(Model m, const std::vector<Keyword>& k, const SpotterOptions& o)
      : model(checked_ctc(m, "Spotter")),
        options(o),
        keywords((require_spotter_options(o), resolve(model, k, o, search_keywords))),
        input(model.feature_config(), o.sample_rate, "Spotter"),
        frames(model, o.backend, o.window_frames),
        search(std::move(search_keywords), model.num_classes(), 0,
               detail::frames_for(o.refractory_seconds, model.feature_config()),
               detail::frames_for(o.peak_seconds, model.feature_config())) {
    events.resize(keywords.size());
  }

  static void on_frame(void* context, const float* frame) {
    Impl& self = *static_cast<Impl*>(context);
    self.frames.push(frame, &on_logits, context);
  }

  static void on_logits(void* context, const float* logits) {
    Impl& self = *static_cast<Impl*>(context);
    self.deliver(self.search.push(logits, self.events.data()));
  }

  void deliver(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      const detail::SearchEvent& event = events[i];
      Detection detection;
      detection.label_index = event.keyword;
      detection.label = &keywords[std::size_t(event.keyword)].name;
      detection.score = event.score;
      detection.start_sample = input.start_sample(event.start_frame);
      detection.end_sample = std::max(detection.start_sample, input.end_sample(event.end_frame));
      sink(sink_context, detection);
    }
  }

  void finish() {
    if (input.finished()) return;
    input.finish(&on_frame, this);
    frames.finish(&on_logits, this);
    deliver(search.finish(events.data()));
  }

  void reset() {
    input.reset();
    frames.reset();
    search.reset();
  }
};

Spotter::Spotter(Model model, const std::vector<Keyword>& keywords, const SpotterOptions& options)
    : impl_(std::make_unique<Impl>(std::move(model), keywords, options)) {}
Spotter::~Spotter() = default;
Spotter::Spotter(Spotter&&) noexcept = default;
Spotter& Spotter::operator=(Spotter&&) noexcept = default;

void Spotter::push_samples(const float* samples, std::size_t count, Sink sink, void* context) {
  impl_->sink = sink;
  impl_->sink_context = context;
  impl_->input.push(samples, count, &Impl::on_frame, impl_.get());
}

void Spotter::push_samples(const std::int16_t* samples, std::size_t count, Sink sink, void* context) {
  impl_->sink = sink;
  impl_->sink_context = context;
  impl_->input.push(samples, count, &Impl::on_frame, impl_.get());
}

void Spotter::finish_stream(Sink sink, void* context) {
  impl_->sink = sink;
  impl_->sink_context = context;
  impl_->finish();
}

void Spotter::reset() { impl_->reset(); }
const Model& Spotter::model() const { return impl_->model; }
const std::vector<SpotterKeyword>& Spotter::keywords() const { return impl_->keywords; }
int Spotter::sample_rate() const { return impl_->input.sample_rate(); }
int Spotter::window_frames() const { return impl_->frames.window(); }
int Spotter::stride_frames() const { return impl_->frames.stride(); }
std::int64_t Spotter::samples_pushed() const { return impl_->input.samples_pushed(); }
std::int64_t Spotter::frames_scored() const { return impl_->search.frames(); }
float Spotter::score(std::size_t k) const {
  if (k >= impl_->keywords.size()) throw InvalidArgument("Spotter::score: keyword index out of range");
  return impl_->search.score(k);
}

}  // namespace kws
