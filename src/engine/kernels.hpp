// What a backend provides: the two convolution shapes of the folded network (engine/network.hpp).
// Everything else an item needs (the sub-band affine, means, the broadcast residual) is the same
// for every backend and runs in the Engine (engine/plan.hpp lists it).
#pragma once

#include <cstddef>
#include <memory>

#include "engine/network.hpp"

namespace kws::detail {

// An Engine gives each of its lanes (threads) a Kernels instance of its own, so an instance is
// only ever called from one thread at a time and may keep per-call state. Implementations must
// not allocate in these calls once a frame count has been seen (see begin_item).
class Kernels {
 public:
  virtual ~Kernels() = default;
  // Called before each item with its frame count and output. A backend that builds per-shape
  // state (oneDNN primitives) builds it during the first item of each (frames, output) and reuses
  // it after; the Engine runs one item of max_frames at construction, with the output of the
  // model's architecture, so that shape never builds in run().
  virtual void begin_item(int frames, Output output) {
    (void)frames;
    (void)output;
  }
  // Called once, at construction, before any item: a backend may size buffers for `net` at up to
  // max_frames frames here, so that the calls below need no allocation.
  virtual void reserve(const Network& net, int max_frames) {
    (void)net;
    (void)max_frames;
  }
  // Bytes of working memory the backend holds beyond the Engine's activation arena (scratchpad,
  // staging buffers), for the shapes seen so far.
  virtual std::size_t workspace_bytes() const { return 0; }
  // Whether begin_item() builds state, i.e. whether the Engine should run an item at
  // construction.
  virtual bool builds_per_shape() const { return false; }
  // in: [C or 1][h][w]; out: [C][conv.out_h(h)][conv.out_w(w)].
  virtual void depthwise(const DepthwiseConv& conv, const float* in, int h, int w, float* out) = 0;
  // in: [in_channels][pixels]; out: [out_channels][pixels].
  virtual void pointwise(const PointwiseConv& conv, const float* in, int pixels, float* out) = 0;
  // A block's frequency convolution, then its SubSpectralNorm on `out` and the frequency mean of
  // the result into `mean` ([C][conv.out_w(w)]). The default is depthwise() and then
  // subspectral_mean() (engine/elementwise.hpp), a second pass over the plane; a backend may
  // normalise each output row while it is still in cache, with the same arithmetic.
  virtual void frequency_subspectral(const DepthwiseConv& conv, const SubbandAffine& norm, const float* in, int h,
                                     int w, float* out, float* mean);
};

// The reference backend's depthwise convolution (kernels_reference.cpp): element by element, every
// tap bound-checked. Also the fallback of faster backends for shapes their own paths do not take.
void reference_depthwise(const DepthwiseConv& conv, const float* in, int h, int w, float* out);

// One per kernels_*.cpp; engine/backends.hpp chooses among them by Backend.
std::unique_ptr<Kernels> make_reference_kernels();
#ifdef KWS_HAVE_EIGEN
std::unique_ptr<Kernels> make_eigen_kernels();
#endif
#ifdef KWS_HAVE_ONEDNN
std::unique_ptr<Kernels> make_onednn_kernels();
#endif

}  // namespace kws::detail
