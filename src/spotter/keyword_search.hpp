// The keyword search of kws::Spotter (kws/spotter.hpp explains the score): per keyword, a
// free-start Viterbi pass over the CTC topology of its tokens on per-frame margins, and the
// firing rule (threshold, peak, refractory). Frame logits in, events out; knows nothing of audio,
// so the tests drive it with hand-made matrices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kws::detail {

// A keyword as the search sees it: label indices of its tokens (never the blank) and its firing
// settings.
struct SearchKeyword {
  std::vector<int> tokens;
  float threshold = 0.5f;  // on the score, in (0, 1]
  float boost = 0.0f;      // added to the path value on entering each token
};

struct SearchEvent {
  int keyword = -1;             // index into the keywords
  float score = 0.0f;           // the peak score
  std::int64_t start_frame = 0; // where the peak's path entered the first token
  std::int64_t end_frame = 0;   // the frame of the peak (the path's last frame)
};

class KeywordSearch {
 public:
  // num_classes logits per frame, label `blank` the CTC blank. After an event a keyword is quiet
  // for refractory_frames after its end; an event is reported once the score has not exceeded
  // its peak for peak_frames frames (or at finish()); an equal score moves the peak on. Throws InvalidArgument for an empty
  // keyword, a token out of range or equal to the blank, a threshold outside (0, 1], a boost
  // outside [-10, 10] (or not finite), or negative frame counts.
  KeywordSearch(std::vector<SearchKeyword> keywords, int num_classes, int blank, int refractory_frames,
                int peak_frames);

  // Frame `frame` (0, 1, 2, ... since reset) of num_classes logits (any offset: margins are
  // differences). Writes the events this frame completes to `events` (room for keywords().size())
  // and returns how many. Allocates nothing.
  std::size_t push(const float* logits, SearchEvent* events);
  // Ends the stream: reports the candidates still waiting for their peak. Returns the count.
  std::size_t finish(SearchEvent* events);
  void reset();

  const std::vector<SearchKeyword>& keywords() const { return keywords_; }
  // The latest score of keyword k (0 before any frame) and where its path started.
  float score(std::size_t k) const { return state_[k].score; }
  std::int64_t frames() const { return frame_; }

 private:
  struct State {
    std::vector<float> value;         // D(s) for s = 1 .. 2L-1, stored at s - 1
    std::vector<std::int64_t> start;  // the frame the best path into s entered the first token
    float score = 0.0f;
    bool candidate = false;           // above threshold, waiting for the peak
    SearchEvent peak;
    std::int64_t quiet_until = 0;     // no new candidate before this frame
    std::int64_t last_end = -1;       // a new event must start after the previous one ended
  };
  void advance(std::size_t k, std::int64_t t);
  bool fire_ready(std::size_t k, std::int64_t t, bool at_end, SearchEvent* event);

  std::vector<SearchKeyword> keywords_;
  std::vector<State> state_;
  std::vector<float> margins_;  // this frame's log p(k) - max_j log p(j)
  int num_classes_ = 0, blank_ = 0, refractory_frames_ = 0, peak_frames_ = 0;
  std::int64_t frame_ = 0;
};

}  // namespace kws::detail
