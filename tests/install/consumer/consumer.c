/* A C program using the installed libkws.so through kws.h only. */
#include <stdio.h>

#include <kws.h>

int main(void) {
  kws_detector_params params;
  kws_model* model = NULL;
  kws_detector_params_init(&params);
  if (kws_version_number() != KWS_VERSION_NUMBER) {
    fprintf(stderr, "header %s but library %s\n", KWS_VERSION_STRING, kws_version_string());
    return 1;
  }
  if (kws_model_load("/nonexistent.kws", &model) != KWS_ERROR_IO) return 1;
  printf("libkws %s (C API): %s\n", kws_version_string(), kws_build_info());
  return 0;
}
