// The Kernels interface's shared default (kernels.hpp).
#include "engine/kernels.hpp"

#include "engine/elementwise.hpp"

namespace kws::detail {

void Kernels::frequency_subspectral(const DepthwiseConv& conv, const SubbandAffine& norm, const float* in, int h,
                                    int w, float* out, float* mean) {
  depthwise(conv, in, h, w, out);
  subspectral_mean(norm, Shape{conv.channels, conv.out_h(h), conv.out_w(w)}, out, mean);
}

}  // namespace kws::detail
