// KeywordSearch: free-start Viterbi over the CTC topology of each keyword, on margins.
//
// The CTC topology of y_1..y_L has states 0..2L (even: blank, odd: token y_(s+1)/2); state s
// comes from s, s-1, and s-2 when s is a token differing from token s-2 (a repeated token, "l l",
// must pass the blank between). Margins are <= 0, so neither the leading blank (state 0: any
// frame spent there only lowers a path that could start in state 1 later with prior 0) nor the
// trailing blank (state 2L: after the score is read) can raise the score at state 2L-1; only
// states 1 .. 2L-1 are kept.
#include "spotter/keyword_search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "kws/error.hpp"

namespace kws::detail {

namespace {
constexpr float kNegativeInfinity = -std::numeric_limits<float>::infinity();
constexpr float kMaxBoost = 10.0f;
}  // namespace

KeywordSearch::KeywordSearch(std::vector<SearchKeyword> keywords, int num_classes, int blank, int refractory_frames,
                             int peak_frames)
    : keywords_(std::move(keywords)),
      num_classes_(num_classes),
      blank_(blank),
      refractory_frames_(refractory_frames),
      peak_frames_(peak_frames) {
  if (num_classes < 2 || blank < 0 || blank >= num_classes)
    throw InvalidArgument("keyword search: needs at least two classes and a blank among them");
  if (refractory_frames < 0 || peak_frames < 0)
    throw InvalidArgument("keyword search: refractory and peak spans must not be negative");
  for (std::size_t k = 0; k < keywords_.size(); ++k) {
    const SearchKeyword& keyword = keywords_[k];
    const std::string which = "keyword " + std::to_string(k);
    if (keyword.tokens.empty()) throw InvalidArgument(which + " has no tokens");
    for (int token : keyword.tokens)
      if (token < 0 || token >= num_classes || token == blank)
        throw InvalidArgument(which + ": token index " + std::to_string(token) + " is the blank or out of range");
    if (!(keyword.threshold > 0.0f && keyword.threshold <= 1.0f))
      throw InvalidArgument(which + ": threshold " + std::to_string(keyword.threshold) + " outside (0, 1]");
    if (!(std::fabs(keyword.boost) <= kMaxBoost))
      throw InvalidArgument(which + ": boost " + std::to_string(keyword.boost) + " outside [-10, 10]");
    State state;
    state.value.assign(2 * keyword.tokens.size() - 1, kNegativeInfinity);
    state.start.assign(state.value.size(), 0);
    state_.push_back(std::move(state));
  }
  margins_.assign(std::size_t(num_classes), 0.0f);
}

void KeywordSearch::reset() {
  for (State& state : state_) {
    std::fill(state.value.begin(), state.value.end(), kNegativeInfinity);
    std::fill(state.start.begin(), state.start.end(), 0);
    state.score = 0.0f;
    state.candidate = false;
    state.quiet_until = 0;
    state.last_end = -1;
  }
  frame_ = 0;
}

// One Viterbi step of keyword k at frame t, in place: states are updated from the last down, so
// every predecessor (s, s-1, s-2) still holds its value of frame t-1.
void KeywordSearch::advance(std::size_t k, std::int64_t t) {
  const SearchKeyword& keyword = keywords_[k];
  State& state = state_[k];
  float* value = state.value.data();
  std::int64_t* start = state.start.data();
  const int n = int(state.value.size());
  for (int i = n - 1; i >= 0; --i) {  // i = s - 1: even i is token i / 2, odd i the blank after it
    const bool token = i % 2 == 0;
    float best = value[i];  // stay
    std::int64_t from = start[i];
    if (token) {
      if (i == 0) {
        // Free start: the path may enter the first token now, with prior value 0. Staying wins
        // ties, so an event starts where the token first became as good as the best path.
        if (keyword.boost > best) {
          best = keyword.boost;
          from = t;
        }
      } else {
        const float via_blank = value[i - 1] + keyword.boost;
        if (via_blank > best) {
          best = via_blank;
          from = start[i - 1];
        }
        // Straight from the previous token, unless it is the same token (then the blank between
        // is what separates the two).
        if (keyword.tokens[std::size_t(i / 2)] != keyword.tokens[std::size_t(i / 2 - 1)]) {
          const float direct = value[i - 2] + keyword.boost;
          if (direct > best) {
            best = direct;
            from = start[i - 2];
          }
        }
      }
      value[i] = best + margins_[std::size_t(keyword.tokens[std::size_t(i / 2)])];
    } else {
      if (value[i - 1] > best) {
        best = value[i - 1];
        from = start[i - 1];
      }
      value[i] = best + margins_[std::size_t(blank_)];
    }
    start[i] = from;
  }
  // The geometric mean over tokens of the path's likelihood ratio against the best free path;
  // a positive boost can lift it above 1, which is reported as 1.
  const float mean = value[n - 1] / float(keyword.tokens.size());
  state.score = mean >= 0.0f ? 1.0f : std::exp(mean);
}

// Whether keyword k's candidate is reported at frame t (at_end: the stream ended), into *event.
bool KeywordSearch::fire_ready(std::size_t k, std::int64_t t, bool at_end, SearchEvent* event) {
  State& state = state_[k];
  if (!state.candidate) return false;
  if (!at_end && t - state.peak.end_frame < peak_frames_) return false;
  state.candidate = false;
  state.quiet_until = state.peak.end_frame + refractory_frames_;
  state.last_end = state.peak.end_frame;
  *event = state.peak;
  return true;
}

std::size_t KeywordSearch::push(const float* logits, SearchEvent* events) {
  const float peak = *std::max_element(logits, logits + num_classes_);
  for (int c = 0; c < num_classes_; ++c) margins_[std::size_t(c)] = logits[c] - peak;
  const std::int64_t t = frame_++;
  std::size_t fired = 0;
  for (std::size_t k = 0; k < keywords_.size(); ++k) {
    advance(k, t);
    State& state = state_[k];
    const std::int64_t path_start = state.start.back();
    if (state.candidate) {
      // Ties move the peak on: the last token's frames keep a path's score, and the event ends with them.
      if (state.score >= state.peak.score) state.peak = {int(k), state.score, path_start, t};
    } else if (state.score >= keywords_[k].threshold && t >= state.quiet_until && path_start > state.last_end) {
      state.candidate = true;
      state.peak = {int(k), state.score, path_start, t};
    }
    if (fire_ready(k, t, false, &events[fired])) ++fired;
  }
  return fired;
}

std::size_t KeywordSearch::finish(SearchEvent* events) {
  std::size_t fired = 0;
  for (std::size_t k = 0; k < keywords_.size(); ++k)
    if (fire_ready(k, frame_, true, &events[fired])) ++fired;
  return fired;
}

}  // namespace kws::detail
