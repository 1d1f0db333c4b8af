// The keyword search (src/spotter/keyword_search.hpp) on hand-made logit matrices: one frame per
// character of a script, the character's class best by a wide margin.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kws/error.hpp"
#include "spotter/keyword_search.hpp"

namespace {

using kws::detail::KeywordSearch;
using kws::detail::SearchEvent;
using kws::detail::SearchKeyword;

// Classes: 0 blank ('_'), 1 'a', 2 'b', 3 'c', 4 'l'.
constexpr int kClasses = 5;
constexpr float kFar = -10.0f;  // the margin of every class but a frame's best

int class_of(char ch) {
  switch (ch) {
    case 'a': return 1;
    case 'b': return 2;
    case 'c': return 3;
    case 'l': return 4;
    default: return 0;
  }
}

SearchKeyword keyword(const std::string& tokens, float threshold = 0.9f, float boost = 0.0f) {
  SearchKeyword k;
  for (char ch : tokens) k.tokens.push_back(class_of(ch));
  k.threshold = threshold;
  k.boost = boost;
  return k;
}

struct Run {
  std::vector<SearchEvent> events;
  std::vector<float> last_scores;
};

// Feeds one frame per script character: a lowercase letter (or '_') is that frame's best class,
// every other class trails by 10; an uppercase letter makes the blank best with the letter
// trailing by only second_margin.
Run run(KeywordSearch& search, const std::string& script, float second_margin = 1.0f, bool finish = true) {
  Run result;
  std::vector<SearchEvent> buffer(search.keywords().size());
  for (char ch : script) {
    std::vector<float> logits(kClasses, kFar);
    if (ch >= 'A' && ch <= 'Z') {
      logits[0] = 0.0f;
      logits[std::size_t(class_of(char(ch - 'A' + 'a')))] = -second_margin;
    } else {
      logits[std::size_t(class_of(ch))] = 0.0f;
    }
    for (float& v : logits) v += 3.0f;  // margins are differences: any offset is the same
    const std::size_t n = search.push(logits.data(), buffer.data());
    result.events.insert(result.events.end(), buffer.begin(), buffer.begin() + std::ptrdiff_t(n));
  }
  if (finish) {
    const std::size_t n = search.finish(buffer.data());
    result.events.insert(result.events.end(), buffer.begin(), buffer.begin() + std::ptrdiff_t(n));
  }
  for (std::size_t k = 0; k < search.keywords().size(); ++k) result.last_scores.push_back(search.score(k));
  return result;
}

KeywordSearch make(std::vector<SearchKeyword> keywords, int refractory = 0, int peak = 3) {
  return KeywordSearch(std::move(keywords), kClasses, 0, refractory, peak);
}

}  // namespace

TEST_CASE("a keyword that is the best path scores 1 and fires once, with its span") {
  KeywordSearch search = make({keyword("ab")});
  //                            0123456789012345678
  const Run result = run(search, "_____aaa_bbb_______");
  REQUIRE(result.events.size() == 1);
  CHECK(result.events[0].keyword == 0);
  CHECK(result.events[0].score == doctest::Approx(1.0f));
  CHECK(result.events[0].start_frame == 5);  // the first 'a'
  CHECK(result.events[0].end_frame == 11);   // the last 'b'
}

TEST_CASE("a keyword that is not said does not fire, and scores near 0") {
  KeywordSearch search = make({keyword("ac", 0.1f)});
  const Run result = run(search, "_____aaa_bbb_______");
  CHECK(result.events.empty());
  CHECK(result.last_scores[0] < 1e-3f);
  CHECK(result.last_scores[0] > 0.0f);
}

TEST_CASE("a repeated token needs the blank between its two occurrences") {
  KeywordSearch ll = make({keyword("ll", 0.5f)});
  CHECK(run(ll, "___llll___").events.empty());  // one long 'l' is not "l l"
  KeywordSearch again = make({keyword("ll", 0.5f)});
  const Run result = run(again, "___ll_ll___");
  REQUIRE(result.events.size() == 1);
  CHECK(result.events[0].start_frame == 3);
  CHECK(result.events[0].end_frame == 7);
  KeywordSearch single = make({keyword("l", 0.5f)});
  CHECK(run(single, "___llll___").events.size() == 1);
}

TEST_CASE("distinct neighbouring tokens need no blank between them") {
  KeywordSearch search = make({keyword("abc")});
  const Run result = run(search, "__abbc____");
  REQUIRE(result.events.size() == 1);
  CHECK(result.events[0].start_frame == 2);
  CHECK(result.events[0].end_frame == 5);
}

TEST_CASE("two keywords fire each at its own place, in stream order") {
  KeywordSearch search = make({keyword("ab"), keyword("bc")});
  //                            0123456789012345678901
  const Run result = run(search, "__aa_bb________bbcc___");
  REQUIRE(result.events.size() == 2);
  CHECK(result.events[0].keyword == 0);
  CHECK(result.events[0].start_frame == 2);
  CHECK(result.events[0].end_frame == 6);
  CHECK(result.events[1].keyword == 1);
  CHECK(result.events[1].start_frame == 15);
  CHECK(result.events[1].end_frame == 18);
}

TEST_CASE("the refractory period holds back a quick repeat of the same keyword only") {
  const std::string script = "__ab__ab__bc__";
  KeywordSearch quick = make({keyword("ab"), keyword("bc")}, 0, 1);
  CHECK(run(quick, script).events.size() == 3);
  KeywordSearch quiet = make({keyword("ab"), keyword("bc")}, 20, 1);
  const Run result = run(quiet, script);
  REQUIRE(result.events.size() == 2);  // the second "ab" falls in the first one's refractory period
  CHECK(result.events[0].keyword == 0);
  CHECK(result.events[1].keyword == 1);
}

TEST_CASE("an event waits for its peak, and finish() reports one still waiting") {
  KeywordSearch search = make({keyword("ab")}, 0, 5);
  const Run pending = run(search, "__abbb", 1.0f, false);
  CHECK(pending.events.empty());  // the score has not been below its peak for 5 frames yet
  std::vector<SearchEvent> buffer(1);
  REQUIRE(search.finish(buffer.data()) == 1);
  CHECK(buffer[0].end_frame == 5);
  search.reset();
  CHECK(search.frames() == 0);
  CHECK(run(search, "__abbb").events.size() == 1);
}

TEST_CASE("threshold and boost: a weak match fires with a lower threshold or a boost") {
  // 'B' frames: the blank is best, 'b' trails by 1. The best path a a _ .. B (the blank state
  // takes the B frames before the last at no cost) scores exp(-1 / 2) = 0.61 at every B.
  const std::string script = "__aa_BBB_____";
  const float expected = std::exp(-0.5f);
  KeywordSearch strict = make({keyword("ab", 0.7f)});
  const Run none = run(strict, script);
  CHECK(none.events.empty());
  KeywordSearch lower = make({keyword("ab", 0.6f)});
  const Run low = run(lower, script);
  REQUIRE(low.events.size() == 1);
  CHECK(low.events[0].score == doctest::Approx(expected));
  CHECK(low.events[0].end_frame == 7);
  // A boost b adds b per token: the score is multiplied by e^b.
  KeywordSearch boosted = make({keyword("ab", 0.7f, 0.2f)});
  const Run boost = run(boosted, script);
  REQUIRE(boost.events.size() == 1);
  CHECK(boost.events[0].score == doctest::Approx(expected * std::exp(0.2f)));
}

TEST_CASE("the search refuses keywords it cannot search") {
  CHECK_THROWS_AS(make({keyword("")}), kws::InvalidArgument);
  CHECK_THROWS_AS(make({keyword("a_")}), kws::InvalidArgument);  // the blank as a token
  SearchKeyword out_of_range = keyword("a");
  out_of_range.tokens[0] = kClasses;
  CHECK_THROWS_AS(make({out_of_range}), kws::InvalidArgument);
  CHECK_THROWS_AS(make({keyword("a", 0.0f)}), kws::InvalidArgument);
  CHECK_THROWS_AS(make({keyword("a", 1.5f)}), kws::InvalidArgument);
  CHECK_THROWS_AS(make({keyword("a", 0.5f, std::nanf(""))}), kws::InvalidArgument);
  CHECK_THROWS_AS(make({keyword("a", 0.5f, 11.0f)}), kws::InvalidArgument);
  CHECK_THROWS_AS(KeywordSearch({keyword("a")}, kClasses, 0, -1, 0), kws::InvalidArgument);
}
