/* kws.h must compile as strict C89 (and C99, see CMakeLists) with every warning an error. */
#include "kws.h"

int kws_header_compiles_as_c(void);
int kws_header_compiles_as_c(void) {
  kws_detector_params params;
  kws_classifier* classifier = NULL;
  params.size = sizeof params;
  kws_classifier_free(classifier);
  return (int)params.size + KWS_VERSION_MAJOR + (int)KWS_OK;
}
