// Package kws is keyword spotting from Go over the stable libkws C API (capi/kws.h,
// libkws.so.0), through cgo. The library is loaded at run time (see LibraryPath for where it is
// looked for); kws.h gives the types at build time.
//
//	model, err := kws.LoadModel("examples/models/commands_en.kws")
//	audio, err := kws.ReadAudio("examples/data/stream_commands.wav", 0)
//	result, err := model.Classify(audio.Samples, audio.SampleRate)  // result.Label, result.Scores
//	detector, err := kws.NewDetector(model, kws.WithSampleRate(audio.SampleRate))  // one per stream
//	events, err := detector.Push(audio.Samples)  // chunks of any size; then detector.Finish()
//
// Concurrency, as the C API promises: one Model is shared by any number of goroutines, and each
// audio stream gets its own Detector (its calls are serialised). Close frees a handle; a
// finalizer frees a forgotten one, as a safety net only. Failures are *Error values carrying the
// C API's Status and libkws's message: errors.Is(err, kws.StatusIO) works.
package kws

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// Status is why a call failed: a kws_status value of kws.h (pinned: they never change between
// releases). It is an error itself, so that errors.Is(err, kws.StatusCorruptData) tells an
// *Error's status.
type Status int

// The kws_status values, read from kws.h by cgo.
const (
	// StatusInvalidArgument is a value out of range or inconsistent; this binding reports its
	// own argument checks with it too (an unknown label, a rate no int32_t holds).
	StatusInvalidArgument Status = C.KWS_ERROR_INVALID_ARGUMENT
	// StatusIO is a file that could not be opened or read; also a libkws shared library that
	// could not be loaded from any of the places searched.
	StatusIO Status = C.KWS_ERROR_IO
	// StatusUnsupportedFormat is well-formed input libkws does not handle.
	StatusUnsupportedFormat Status = C.KWS_ERROR_UNSUPPORTED_FORMAT
	// StatusCorruptData is a malformed model or audio file.
	StatusCorruptData Status = C.KWS_ERROR_CORRUPT_DATA
	// StatusOutOfMemory is an allocation that failed.
	StatusOutOfMemory Status = C.KWS_ERROR_OUT_OF_MEMORY
	// StatusInternal is a bug in libkws: please report it with the message.
	StatusInternal Status = C.KWS_ERROR_INTERNAL
	// StatusBufferTooSmall is an output buffer smaller than the result.
	StatusBufferTooSmall Status = C.KWS_ERROR_BUFFER_TOO_SMALL
)

// String is the library's description of the status ("invalid argument", "i/o error", ...:
// kws_status_string), or its number while no library is loaded (it does not load one).
func (status Status) String() string {
	if !isLoaded() {
		return fmt.Sprintf("kws status %d", int(status))
	}
	return C.GoString(C.kwsgo_status_string(C.kws_status(status)))
}

// Error makes a Status an error, for errors.Is.
func (status Status) Error() string {
	return status.String()
}

// Error is a failed call: the status and libkws's own message (kws_last_error()), which names
// the function and the reason, e.g. "kws_model_load: x.kws: cannot open: No such file or
// directory".
type Error struct {
	Status  Status
	Message string
}

// Error is the message.
func (err *Error) Error() string {
	return err.Message
}

// Unwrap gives the status, so that errors.Is(err, kws.StatusIO) matches.
func (err *Error) Unwrap() error {
	return err.Status
}

// ErrClosed is returned by calls on a Model or Detector after its Close.
var ErrClosed = errors.New("kws: use of a closed handle")

// check is nil for KWS_OK, else the *Error with the message the C call handed back (freed here).
func check(status C.kws_status, message *C.char) error {
	if status == C.KWS_OK {
		return nil
	}
	return &Error{Status: Status(status), Message: takeMessage(message)}
}

// invalidArgument is this binding's own argument error.
func invalidArgument(format string, arguments ...interface{}) error {
	return &Error{Status: StatusInvalidArgument, Message: fmt.Sprintf(format, arguments...)}
}

// sampleRateArgument is rate for the C API (int32_t). libkws checks the range it accepts
// (KWS_MIN_SAMPLE_RATE to KWS_MAX_SAMPLE_RATE) and says so; only a rate no int32_t holds, which
// a conversion would wrap into a valid one, is refused here.
func sampleRateArgument(rate int) (C.int32_t, error) {
	if rate < math.MinInt32 || rate > math.MaxInt32 {
		return 0, invalidArgument("kws: sample rate %d Hz is out of range", rate)
	}
	return C.int32_t(rate), nil
}

// Model is a loaded, validated libkws model (.kws): immutable, so one model is shared by any
// number of goroutines. Close frees the caller's reference (after calls running on it return);
// detectors made from it keep their own and go on working.
type Model struct {
	mu         sync.RWMutex // calls hold it to read, Close to write: Close waits for running calls
	handle     *C.kws_model // nil once closed
	labels     []string
	sampleRate int
}

// Classification is the posteriors of one clip.
type Classification struct {
	Label      string    // the most probable label
	LabelIndex int       // its index in Labels()
	Score      float32   // its probability
	Scores     []float32 // one probability per label of Labels(), in that order (they sum to 1)
}

// LoadModel loads and fully validates a model file; a corrupt or hostile file is an error
// (StatusCorruptData or StatusUnsupportedFormat), never a crash.
func LoadModel(path string) (*Model, error) {
	if err := load(); err != nil {
		return nil, err
	}
	cPath := C.CString(path)
	defer C.free(unsafe.Pointer(cPath))
	var handle *C.kws_model
	var message *C.char
	if err := check(C.kwsgo_model_load(cPath, &handle, &message), message); err != nil {
		return nil, err
	}
	return newModel(handle)
}

// LoadModelBytes loads a model from a complete model file in memory (copied: data may be reused).
func LoadModelBytes(data []byte) (*Model, error) {
	if err := load(); err != nil {
		return nil, err
	}
	var handle *C.kws_model
	var message *C.char
	if err := check(C.kwsgo_model_load_memory(bytesPointer(data), C.size_t(len(data)), &handle, &message), message); err != nil {
		return nil, err
	}
	return newModel(handle)
}

// newModel takes ownership of a freshly loaded handle and reads what every caller needs of it.
func newModel(handle *C.kws_model) (*Model, error) {
	model := &Model{handle: handle}
	runtime.SetFinalizer(model, (*Model).Close)
	var message *C.char
	var count C.size_t
	if err := check(C.kwsgo_model_num_labels(handle, &count, &message), message); err != nil {
		model.Close()
		return nil, err
	}
	for index := C.size_t(0); index < count; index++ {
		var label *C.char
		if err := check(C.kwsgo_model_label(handle, index, &label, &message), message); err != nil {
			model.Close()
			return nil, err
		}
		model.labels = append(model.labels, C.GoString(label))
	}
	var rate C.int32_t
	if err := check(C.kwsgo_model_sample_rate(handle, &rate, &message), message); err != nil {
		model.Close()
		return nil, err
	}
	model.sampleRate = int(rate)
	return model, nil
}

// Close frees the model once calls running on it have returned; later calls give ErrClosed.
// Closing again does nothing.
func (model *Model) Close() error {
	if model == nil {
		return nil
	}
	model.mu.Lock()
	defer model.mu.Unlock()
	if model.handle != nil {
		C.kwsgo_model_free(model.handle)
		model.handle = nil
		runtime.SetFinalizer(model, nil)
	}
	return nil
}

// Labels are the output classes, in index order (labels starting with "_", such as
// "_silence_", never fire in a detector). The slice is a copy.
func (model *Model) Labels() []string {
	return append([]string(nil), model.labels...)
}

// SampleRate is the rate (Hz) the model's features are computed at; audio at any other rate is
// resampled inside.
func (model *Model) SampleRate() int {
	return model.sampleRate
}

// open holds the model open for a call: it returns the handle and the function that ends the
// call, or ErrClosed.
func (model *Model) open() (*C.kws_model, func(), error) {
	if model == nil {
		return nil, nil, ErrClosed
	}
	model.mu.RLock()
	if model.handle == nil {
		model.mu.RUnlock()
		return nil, nil, ErrClosed
	}
	return model.handle, model.mu.RUnlock, nil
}

// Classify classifies one clip of float samples in [-1, 1] at sampleRate Hz. A clip shorter
// than the model's window is zero-padded; a longer one is scanned and the window most likely to
// hold a keyword is reported. Safe to call from many goroutines on one model.
func (model *Model) Classify(samples []float32, sampleRate int) (Classification, error) {
	return model.classify(sampleRate, func(handle *C.kws_model, rate C.int32_t, scores *C.float, capacity C.size_t,
		best *C.int32_t, message **C.char) C.kws_status {
		return C.kwsgo_classify(handle, floatsPointer(samples), C.size_t(len(samples)), rate, scores, capacity, best, message)
	})
}

// ClassifyInt16 is Classify for 16-bit PCM.
func (model *Model) ClassifyInt16(samples []int16, sampleRate int) (Classification, error) {
	return model.classify(sampleRate, func(handle *C.kws_model, rate C.int32_t, scores *C.float, capacity C.size_t,
		best *C.int32_t, message **C.char) C.kws_status {
		return C.kwsgo_classify_s16(handle, int16sPointer(samples), C.size_t(len(samples)), rate, scores, capacity, best, message)
	})
}

// classify runs one of the kws_classify functions (call) and reads its result.
func (model *Model) classify(sampleRate int, call func(*C.kws_model, C.int32_t, *C.float, C.size_t, *C.int32_t,
	**C.char) C.kws_status) (Classification, error) {
	rate, err := sampleRateArgument(sampleRate)
	if err != nil {
		return Classification{}, err
	}
	handle, done, err := model.open()
	if err != nil {
		return Classification{}, err
	}
	defer done()
	scores := make([]float32, len(model.labels))
	best := C.int32_t(-1)
	var message *C.char
	if err := check(call(handle, rate, floatsPointer(scores), C.size_t(len(scores)), &best, &message), message); err != nil {
		return Classification{}, err
	}
	index := int(best)
	if index < 0 || index >= len(model.labels) {
		return Classification{}, &Error{Status: StatusInternal, Message: fmt.Sprintf("kws_classify gave label index %d", index)}
	}
	return Classification{Label: model.labels[index], LabelIndex: index, Score: scores[index], Scores: scores}, nil
}

// Audio is mono audio: float samples in [-1, 1] at SampleRate Hz.
type Audio struct {
	Samples    []float32 // stereo is mixed down
	SampleRate int
}

// ReadAudio reads a WAV, FLAC or OGG file as mono float, resampled to sampleRate when it is
// above 0 (else at the file's own rate). The error names the file and the reason.
func ReadAudio(path string, sampleRate int) (Audio, error) {
	cPath := C.CString(path)
	defer C.free(unsafe.Pointer(cPath))
	return readAudio(sampleRate, func(rate C.int32_t, samples **C.float, count *C.size_t, outRate *C.int32_t,
		message **C.char) C.kws_status {
		return C.kwsgo_audio_read(cPath, rate, samples, count, outRate, message)
	})
}

// ReadAudioBytes is ReadAudio from a file image in memory (e.g. an upload).
func ReadAudioBytes(data []byte, sampleRate int) (Audio, error) {
	return readAudio(sampleRate, func(rate C.int32_t, samples **C.float, count *C.size_t, outRate *C.int32_t,
		message **C.char) C.kws_status {
		return C.kwsgo_audio_read_memory(bytesPointer(data), C.size_t(len(data)), rate, samples, count, outRate, message)
	})
}

// readAudio runs one of the kws_audio_read functions (call) and copies the samples it allocated
// out before releasing them with kws_audio_free.
func readAudio(sampleRate int, call func(C.int32_t, **C.float, *C.size_t, *C.int32_t, **C.char) C.kws_status) (Audio, error) {
	if err := load(); err != nil {
		return Audio{}, err
	}
	target, err := sampleRateArgument(sampleRate)
	if err != nil {
		return Audio{}, err
	}
	var samples *C.float
	var count C.size_t
	var rate C.int32_t
	var message *C.char
	if err := check(call(target, &samples, &count, &rate, &message), message); err != nil {
		return Audio{}, err
	}
	defer C.kwsgo_audio_free(samples)
	copied := make([]float32, int(count))
	if count > 0 {
		copy(copied, unsafe.Slice((*float32)(unsafe.Pointer(samples)), int(count)))
	}
	return Audio{Samples: copied, SampleRate: int(rate)}, nil
}

// floatsPointer, int16sPointer and bytesPointer are a slice's first element for C (nil for an
// empty slice, which the C API accepts with a count of 0). The memory holds no Go pointers, as
// cgo requires.
func floatsPointer(values []float32) *C.float {
	if len(values) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&values[0]))
}

func int16sPointer(values []int16) *C.int16_t {
	if len(values) == 0 {
		return nil
	}
	return (*C.int16_t)(unsafe.Pointer(&values[0]))
}

func bytesPointer(values []byte) unsafe.Pointer {
	if len(values) == 0 {
		return nil
	}
	return unsafe.Pointer(&values[0])
}
