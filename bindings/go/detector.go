package kws

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"math"
	"runtime"
	"sort"
	"sync"
	"unsafe"
)

// Detection is one keyword event. Positions count samples from the start of the stream (or
// the latest Reset) at the detector's rate; [StartSample, EndSample) is the analysis window it
// fired in.
type Detection struct {
	Label       string
	LabelIndex  int     // index in the model's Labels()
	Score       float32 // smoothed posterior, in [0, 1]
	StartSample int64
	EndSample   int64
	SampleRate  int // the detector's, for the times in seconds
}

// StartSeconds is StartSample in seconds.
func (event Detection) StartSeconds() float64 {
	return float64(event.StartSample) / float64(event.SampleRate)
}

// EndSeconds is EndSample in seconds.
func (event Detection) EndSeconds() float64 {
	return float64(event.EndSample) / float64(event.SampleRate)
}

// detectorSettings is what the options change: kws_detector_params, filled with the library's
// defaults (kws_detector_params_init, the one place they are defined) before any option runs.
type detectorSettings struct {
	params     C.kws_detector_params
	thresholds map[string]float32
	err        error
}

// DetectorOption changes one setting of NewDetector; those not given keep libkws's defaults.
type DetectorOption func(*detectorSettings)

// WithSampleRate is the rate (Hz) of the pushed PCM; default: the model's.
func WithSampleRate(hertz int) DetectorOption {
	return func(settings *detectorSettings) {
		rate, err := sampleRateArgument(hertz)
		settings.params.sample_rate = rate
		settings.fail(err)
	}
}

// WithWindowSeconds is the analysis window; default: the model's (1 s in the recipe).
func WithWindowSeconds(seconds float32) DetectorOption {
	return func(settings *detectorSettings) { settings.params.window_seconds = C.float(seconds) }
}

// WithStrideSeconds is how often the model is evaluated; default 0.1.
func WithStrideSeconds(seconds float32) DetectorOption {
	return func(settings *detectorSettings) { settings.params.stride_seconds = C.float(seconds) }
}

// WithSmoothingSeconds is the span of the posteriors' moving average; default 0.3.
func WithSmoothingSeconds(seconds float32) DetectorOption {
	return func(settings *detectorSettings) { settings.params.smoothing_seconds = C.float(seconds) }
}

// WithSensitivity is 0..1: the effective threshold is threshold^(2 * sensitivity); default 0.5
// (thresholds as they are).
func WithSensitivity(sensitivity float32) DetectorOption {
	return func(settings *detectorSettings) { settings.params.sensitivity = C.float(sensitivity) }
}

// WithRefractorySeconds is how long no event follows one; default 0.5.
func WithRefractorySeconds(seconds float32) DetectorOption {
	return func(settings *detectorSettings) { settings.params.refractory_seconds = C.float(seconds) }
}

// WithDefaultThreshold is the threshold of labels without one in the model or in
// WithThresholds; default 0.5.
func WithDefaultThreshold(threshold float32) DetectorOption {
	return func(settings *detectorSettings) { settings.params.default_threshold = C.float(threshold) }
}

// WithMinConsecutive is how many evaluations in a row above the threshold a label needs to
// fire; default 3.
func WithMinConsecutive(count int) DetectorOption {
	return func(settings *detectorSettings) {
		if count < math.MinInt32 || count > math.MaxInt32 {
			settings.fail(invalidArgument("kws: min consecutive %d is out of range", count))
			return
		}
		settings.params.min_consecutive = C.int32_t(count)
	}
}

// WithThresholds sets per-label thresholds by label name (a label the model lacks is an error).
func WithThresholds(thresholds map[string]float32) DetectorOption {
	return func(settings *detectorSettings) {
		if settings.thresholds == nil {
			settings.thresholds = map[string]float32{}
		}
		for label, threshold := range thresholds {
			settings.thresholds[label] = threshold
		}
	}
}

// fail keeps the first option error.
func (settings *detectorSettings) fail(err error) {
	if settings.err == nil {
		settings.err = err
	}
}

// Detector is keyword spotting over one audio stream: push PCM chunks of any size, get the
// events. The same audio gives the same events however it is cut into chunks. One stream per
// detector: its calls are serialised (the C API's one thread at a time); many detectors may
// share one Model, and a detector keeps working after its model is closed.
type Detector struct {
	mu         sync.Mutex      // held by every call, and by Close
	handle     *C.kws_detector // nil once closed
	sampleRate int
}

// NewDetector makes a detector over model (which it keeps its own reference to).
func NewDetector(model *Model, options ...DetectorOption) (*Detector, error) {
	modelHandle, done, err := model.open()
	if err != nil {
		return nil, err
	}
	defer done()
	var settings detectorSettings
	C.kwsgo_detector_params_init(&settings.params)
	for _, option := range options {
		option(&settings)
	}
	if settings.err != nil {
		return nil, settings.err
	}
	if len(settings.thresholds) > 0 {
		perLabel, err := perLabelThresholds(model.labels, settings.thresholds)
		if err != nil {
			return nil, err
		}
		// In C memory: cgo forbids passing Go memory that holds a Go pointer (params would).
		thresholds := (*C.float)(C.malloc(C.size_t(len(perLabel)) * C.size_t(unsafe.Sizeof(C.float(0)))))
		defer C.free(unsafe.Pointer(thresholds))
		copy(unsafe.Slice((*float32)(unsafe.Pointer(thresholds)), len(perLabel)), perLabel)
		settings.params.thresholds = thresholds
		settings.params.thresholds_count = C.size_t(len(perLabel))
	}
	var handle *C.kws_detector
	var message *C.char
	if err := check(C.kwsgo_detector_create(modelHandle, &settings.params, &handle, &message), message); err != nil {
		return nil, err
	}
	detector := &Detector{handle: handle}
	runtime.SetFinalizer(detector, (*Detector).Close)
	var rate C.int32_t
	if err := check(C.kwsgo_detector_sample_rate(handle, &rate, &message), message); err != nil {
		detector.Close()
		return nil, err
	}
	detector.sampleRate = int(rate)
	return detector, nil
}

// perLabelThresholds is one threshold per label index (negative: not set) from thresholds by
// name; a name the model lacks is an error listing the labels.
func perLabelThresholds(labels []string, byLabel map[string]float32) ([]float32, error) {
	known := map[string]bool{}
	for _, label := range labels {
		known[label] = true
	}
	var unknown []string
	for label := range byLabel {
		if !known[label] {
			unknown = append(unknown, label)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, invalidArgument("kws: thresholds for unknown labels %q; the model's labels are %q", unknown, labels)
	}
	perLabel := make([]float32, len(labels))
	for index, label := range labels {
		threshold, given := byLabel[label]
		if !given {
			threshold = -1
		}
		perLabel[index] = threshold
	}
	return perLabel, nil
}

// Close frees the detector (after a call running on it returns); later calls give ErrClosed.
// Closing again does nothing.
func (detector *Detector) Close() error {
	if detector == nil {
		return nil
	}
	detector.mu.Lock()
	defer detector.mu.Unlock()
	if detector.handle != nil {
		C.kwsgo_detector_free(detector.handle)
		detector.handle = nil
		runtime.SetFinalizer(detector, nil)
	}
	return nil
}

// SampleRate is the rate (Hz) pushed PCM is taken to be at: WithSampleRate's, else the model's.
func (detector *Detector) SampleRate() int {
	return detector.sampleRate
}

// call runs body on the open detector, one call at a time, or gives ErrClosed.
func (detector *Detector) call(body func(handle *C.kws_detector) error) error {
	if detector == nil {
		return ErrClosed
	}
	detector.mu.Lock()
	defer detector.mu.Unlock()
	if detector.handle == nil {
		return ErrClosed
	}
	return body(detector.handle)
}

// Push feeds a chunk of the stream (float samples in [-1, 1], at SampleRate()) and returns the
// events it completed, oldest first.
func (detector *Detector) Push(samples []float32) ([]Detection, error) {
	return detector.feed(func(handle *C.kws_detector, message **C.char) C.kws_status {
		return C.kwsgo_detector_push(handle, floatsPointer(samples), C.size_t(len(samples)), message)
	})
}

// PushInt16 is Push for 16-bit PCM.
func (detector *Detector) PushInt16(samples []int16) ([]Detection, error) {
	return detector.feed(func(handle *C.kws_detector, message **C.char) C.kws_status {
		return C.kwsgo_detector_push_s16(handle, int16sPointer(samples), C.size_t(len(samples)), message)
	})
}

// Finish ends the stream: it flushes buffered audio, evaluates the tail and returns the last
// events. Push again only after Reset.
func (detector *Detector) Finish() ([]Detection, error) {
	return detector.feed(func(handle *C.kws_detector, message **C.char) C.kws_status {
		return C.kwsgo_detector_finish(handle, message)
	})
}

// feed runs one of push/finish (step) and takes the events it queued.
func (detector *Detector) feed(step func(*C.kws_detector, **C.char) C.kws_status) ([]Detection, error) {
	var events []Detection
	err := detector.call(func(handle *C.kws_detector) error {
		var message *C.char
		if err := check(step(handle, &message), message); err != nil {
			return err
		}
		for {
			var event C.kws_detection
			event.size = C.sizeof_kws_detection
			var available C.int32_t
			if err := check(C.kwsgo_detector_next(handle, &event, &available, &message), message); err != nil {
				return err
			}
			if available == 0 {
				return nil
			}
			events = append(events, Detection{
				Label:       C.GoString(event.label), // owned by the model, which the detector keeps
				LabelIndex:  int(event.label_index),
				Score:       float32(event.score),
				StartSample: int64(event.start_sample),
				EndSample:   int64(event.end_sample),
				SampleRate:  detector.sampleRate,
			})
		}
	})
	return events, err
}

// Reset starts a new stream: positions restart at 0; events not yet returned are dropped.
func (detector *Detector) Reset() error {
	return detector.call(func(handle *C.kws_detector) error {
		var message *C.char
		return check(C.kwsgo_detector_reset(handle, &message), message)
	})
}

// SamplesPushed is the number of samples pushed since creation or the latest Reset.
func (detector *Detector) SamplesPushed() (int64, error) {
	var samples C.int64_t
	err := detector.call(func(handle *C.kws_detector) error {
		var message *C.char
		return check(C.kwsgo_detector_samples_pushed(handle, &samples, &message), message)
	})
	return int64(samples), err
}

// Scores are the smoothed posteriors after the latest evaluation, one per label of the model
// (all 0 before the first).
func (detector *Detector) Scores() ([]float32, error) {
	var scores []float32
	err := detector.call(func(handle *C.kws_detector) error {
		var pointer *C.float
		var count C.size_t
		var message *C.char
		if err := check(C.kwsgo_detector_scores(handle, &pointer, &count, &message), message); err != nil {
			return err
		}
		// Valid until the next push/finish/reset: copied now.
		scores = make([]float32, int(count))
		if count > 0 {
			copy(scores, unsafe.Slice((*float32)(unsafe.Pointer(pointer)), int(count)))
		}
		return nil
	})
	return scores, err
}
