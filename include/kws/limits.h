/* Limits shared by the C API (kws.h) and the C++ API (kws/audio.hpp): defined here once. C and
 * C++; no includes. */
#ifndef KWS_LIMITS_H
#define KWS_LIMITS_H

/* The sample rates libkws accepts everywhere (files, PCM classified or pushed, resampling, a
 * model's own rate), in Hz. The floor bounds what resampling can make of a small input: 1 Hz
 * taken up to a 16 kHz model turns each sample into 16000 (a fuzzer found a 1 KB kws_classify
 * call that ran for seconds). */
#define KWS_MIN_SAMPLE_RATE 1000
#define KWS_MAX_SAMPLE_RATE 768000

/* The most samples (or evaluations) one call takes: a count above this cannot describe a real
 * buffer (its byte size would overflow) and is refused with KWS_ERROR_INVALID_ARGUMENT, not read
 * past the end. 2^60. */
#define KWS_MAX_SAMPLE_COUNT ((unsigned long long)1 << 60)

#endif
