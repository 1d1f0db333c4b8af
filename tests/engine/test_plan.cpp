// The network plan (src/engine/plan.hpp): the step list every walk of the layers uses. Its
// counts are pinned to the values of the per-walk code it replaced, and its data flow is checked
// step by step.
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "engine/plan.hpp"
#include "kws/engine.hpp"
#include "test_support.hpp"

namespace {

using kws::detail::Operation;
using kws::detail::Shape;
using kws::detail::Slot;
using kws::detail::Step;

kws::Model golden_model(const std::string& tau) {
  return kws::Model::load((kws::test::source_dir() / "model" / "golden" / ("bcresnet_tau" + tau + ".kws")).string());
}

bool is_plane(Slot slot) { return slot == Slot::plane0 || slot == Slot::plane1 || slot == Slot::plane2; }
bool is_vector(Slot slot) { return slot == Slot::vector0 || slot == Slot::vector1; }

}  // namespace

// Engine::multiply_adds feeds the GFLOP/s figures of kws-bench; these are the counts of the
// layer walk before the plan existed.
TEST_CASE("multiply_adds per item is pinned for tau 1, 2, 3 and 8") {
  struct Expected {
    const char* tau;
    std::uint64_t frames_1, frames_73, frames_101, frames_157;
  };
  for (const Expected& expected : {Expected{"1", 24956, 1794140, 2482156, 3858188},
                                   Expected{"2", 73272, 5293560, 7323672, 11383896},
                                   Expected{"3", 144948, 10498260, 14524548, 22577124},
                                   Expected{"8", 853728, 62100960, 85919328, 133556064}}) {
    CAPTURE(std::string(expected.tau));
    const kws::Model model = golden_model(expected.tau);
    kws::EngineOptions options;
    options.backend = kws::Backend::reference;
    const kws::Engine engine(model, options);
    CHECK(engine.multiply_adds(1) == expected.frames_1);
    CHECK(engine.multiply_adds(73) == expected.frames_73);
    CHECK(engine.multiply_adds(101) == expected.frames_101);
    CHECK(engine.multiply_adds(157) == expected.frames_157);
    const kws::detail::Network net = kws::detail::build_network(model);
    CHECK(kws::detail::Plan(net, 101).multiply_adds() == expected.frames_101);
  }
}

// The reference backend holds no workspace, so its arena is exactly the plan's slots at the
// model's 101 frames: three planes and two vectors, as before the plan.
TEST_CASE("the reference arena is pinned for tau 1, 2, 3 and 8") {
  for (const auto& [tau, bytes] : {std::pair<const char*, std::size_t>{"1", 404000},
                                   {"2", 808000},
                                   {"3", 1212000},
                                   {"8", 3232000}}) {
    CAPTURE(std::string(tau));
    const kws::Model model = golden_model(tau);
    kws::EngineOptions options;
    options.backend = kws::Backend::reference;
    const kws::Engine engine(model, options);
    if (engine.backend() != kws::Backend::reference) {
      MESSAGE("KWS_BACKEND overrides the backend; arena check skipped");
      return;
    }
    CHECK(engine.arena_bytes() == bytes);
    const kws::detail::Network net = kws::detail::build_network(model);
    const kws::detail::Plan plan(net, 101);
    CHECK((3 * plan.plane_floats() + 2 * plan.vector_floats()) * sizeof(float) == bytes);
  }
}

// Replays the plan on shapes alone: every step reads a slot an earlier step wrote, in the shape
// it was written in, and never the slot it writes (no kernel works in place); nothing written is
// overwritten or left unread (a step reading the wrong one of two same-shaped slots would leave
// the other's value unread); slots hold what the arena sizes allow; the item's input is read
// first and its logits are written last.
TEST_CASE("every step reads what an earlier step wrote, in that shape") {
  for (const char* tau : {"1", "1.5", "8"}) {
    const kws::Model model = golden_model(tau);
    const kws::detail::Network net = kws::detail::build_network(model);
    for (int frames : {1, 2, 73, 101}) {
      CAPTURE(std::string(tau));
      CAPTURE(frames);
      const kws::detail::Plan plan(net, frames);
      REQUIRE(!plan.steps().empty());
      CHECK(plan.input_shape() == Shape{1, net.input_rows, frames});
      CHECK(plan.output_shape() == Shape{model.num_classes(), 1, 1});
      CHECK(plan.steps().front().in == Slot::item_input);
      CHECK(plan.steps().back().out == Slot::item_logits);
      std::map<Slot, Shape> written{{Slot::item_input, plan.input_shape()}};
      std::set<Slot> unread{Slot::item_input};
      auto read = [&](Slot slot, const Shape& shape) {
        REQUIRE(written.count(slot) == 1);
        CHECK(written[slot] == shape);
        unread.erase(slot);
      };
      auto write = [&](Slot slot, const Shape& shape) {
        CHECK(slot != Slot::item_input);
        CHECK(unread.count(slot) == 0);
        if (is_plane(slot)) CHECK(shape.size() <= plan.plane_floats());
        if (is_vector(slot)) CHECK(shape.size() <= plan.vector_floats());
        written[slot] = shape;
        unread.insert(slot);
      };
      for (std::size_t i = 0; i < plan.steps().size(); ++i) {
        const Step& step = plan.steps()[i];
        CAPTURE(i);
        CHECK(step.in != step.out);
        read(step.in, step.in_shape);
        if (step.operation == Operation::frequency_subspectral) {
          CHECK(step.mean != step.out);
          CHECK(step.mean != step.in);
          write(step.mean, Shape{step.out_shape.channels, 1, step.out_shape.width});
        }
        if (step.operation == Operation::broadcast_residual) {
          CHECK(step.temporal != step.out);
          read(step.temporal, Shape{step.in_shape.channels, 1, step.in_shape.width});
          if (step.identity) read(step.out, step.out_shape);
        }
        write(step.out, step.out_shape);
        CHECK((step.out != Slot::item_logits || i + 1 == plan.steps().size()));
      }
      CHECK(unread == std::set<Slot>{Slot::item_logits});
    }
  }
}

TEST_CASE("reshape gives the plan built for that frame count") {
  const kws::Model model = golden_model("2");
  const kws::detail::Network net = kws::detail::build_network(model);
  kws::detail::Plan plan(net, 101);
  for (int frames : {73, 1, 157, 101}) {
    CAPTURE(frames);
    plan.reshape(frames);
    const kws::detail::Plan fresh(net, frames);
    CHECK(plan.frames() == frames);
    REQUIRE(plan.steps().size() == fresh.steps().size());
    for (std::size_t i = 0; i < plan.steps().size(); ++i) {
      const Step& a = plan.steps()[i];
      const Step& b = fresh.steps()[i];
      CAPTURE(i);
      CHECK((a.operation == b.operation && a.in == b.in && a.out == b.out && a.mean == b.mean && a.temporal == b.temporal &&
             a.identity == b.identity));
      CHECK(a.in_shape == b.in_shape);
      CHECK(a.out_shape == b.out_shape);
      CHECK((a.depthwise == b.depthwise && a.pointwise == b.pointwise && a.subspectral == b.subspectral));
    }
    CHECK(plan.multiply_adds() == fresh.multiply_adds());
  }
}
