package kws

import (
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestTheBundledModelHasItsLabelsAndRate(t *testing.T) {
	model := commandsModel(t)
	if model.SampleRate() != 16000 {
		t.Errorf("sample rate %d", model.SampleRate())
	}
	want := []string{"_silence_", "_unknown_", "down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"}
	if labels := model.Labels(); !reflect.DeepEqual(labels, want) {
		t.Errorf("labels %q", labels)
	}
	model.Labels()[0] = "changed"
	if model.Labels()[0] != "_silence_" {
		t.Error("Labels() must be a copy")
	}
}

func TestClassifyHearsYesInTheBundledClipAsFloatAndAsInt16(t *testing.T) {
	model := commandsModel(t)
	audio, err := ReadAudio(repositoryFile(t, "examples/data/yes_no_up_down.wav"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if audio.SampleRate != 16000 || len(audio.Samples) != 50698 {
		t.Fatalf("%d samples at %d Hz", len(audio.Samples), audio.SampleRate)
	}
	result, err := model.Classify(audio.Samples, audio.SampleRate)
	if err != nil {
		t.Fatal(err)
	}
	if result.Label != "yes" || model.Labels()[result.LabelIndex] != "yes" || result.Score != result.Scores[result.LabelIndex] {
		t.Fatalf("%+v", result)
	}
	if result.Score < 0.9 {
		t.Errorf("yes at %v", result.Score)
	}
	sum := float32(0)
	for _, score := range result.Scores {
		sum += score
	}
	if math.Abs(float64(sum)-1) > 1e-4 {
		t.Errorf("posteriors sum to %v", sum)
	}
	pcm := make([]int16, len(audio.Samples))
	for i, value := range audio.Samples {
		pcm[i] = int16(math.Max(-32768, math.Min(32767, math.Round(float64(value)*32768))))
	}
	fromInt16, err := model.ClassifyInt16(pcm, audio.SampleRate)
	if err != nil {
		t.Fatal(err)
	}
	if fromInt16.Label != "yes" || math.Abs(float64(fromInt16.Score-result.Score)) > 1e-3 {
		t.Errorf("int16: %+v", fromInt16)
	}
}

func TestAudioIsResampledOnRequestAndReadFromMemory(t *testing.T) {
	path := repositoryFile(t, "examples/data/yes_no_up_down.wav")
	at8k, err := ReadAudio(path, 8000)
	if err != nil {
		t.Fatal(err)
	}
	if at8k.SampleRate != 8000 || len(at8k.Samples) != 25349 { // half of 50698
		t.Errorf("%d samples at %d Hz", len(at8k.Samples), at8k.SampleRate)
	}
	bytes, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fromMemory, err := ReadAudioBytes(bytes, 0)
	if err != nil {
		t.Fatal(err)
	}
	fromFile, _ := ReadAudio(path, 0)
	if !reflect.DeepEqual(fromMemory, fromFile) {
		t.Error("ReadAudioBytes differs from ReadAudio")
	}
}

func TestAModelLoadsFromBytesToo(t *testing.T) {
	bytes, err := os.ReadFile(repositoryFile(t, "examples/models/commands_en.kws"))
	if err != nil {
		t.Fatal(err)
	}
	model, err := LoadModelBytes(bytes)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	for i := range bytes {
		bytes[i] = 0 // copied: the model does not depend on them
	}
	if !reflect.DeepEqual(model.Labels(), commandsModel(t).Labels()) {
		t.Errorf("labels %q", model.Labels())
	}
	if _, err := model.Classify(make([]float32, 16000), 16000); err != nil {
		t.Error(err)
	}
}

func TestAMissingModelFileIsAnIOErrorWithLibkwsMessage(t *testing.T) {
	_, err := LoadModel("/nonexistent/model.kws")
	var failure *Error
	if !errors.As(err, &failure) {
		t.Fatalf("%T %v", err, err)
	}
	if failure.Status != StatusIO || !errors.Is(err, StatusIO) || errors.Is(err, StatusCorruptData) {
		t.Errorf("status %d", failure.Status)
	}
	want := "kws_model_load: /nonexistent/model.kws: cannot open: No such file or directory"
	if failure.Message != want || err.Error() != want {
		t.Errorf("message %q", err)
	}
	if StatusIO.String() != "i/o error" || StatusIO.Error() != "i/o error" {
		t.Errorf("StatusIO is %q", StatusIO)
	}
}

func TestCorruptModelBytesAreCorruptData(t *testing.T) {
	_, err := LoadModelBytes([]byte("garbage"))
	if !errors.Is(err, StatusCorruptData) || !strings.HasPrefix(err.Error(), "kws_model_load_memory: ") {
		t.Errorf("%v", err)
	}
	_, err = LoadModel(repositoryFile(t, "examples/data/yes_no_up_down.wav"))
	if !errors.Is(err, StatusCorruptData) && !errors.Is(err, StatusUnsupportedFormat) {
		t.Errorf("%v", err)
	}
	if _, err := LoadModelBytes(nil); !errors.Is(err, StatusInvalidArgument) && !errors.Is(err, StatusCorruptData) {
		t.Errorf("no bytes: %v", err)
	}
}

func TestBadArgumentsAreInvalidArgumentErrorsThatSayWhy(t *testing.T) {
	model := commandsModel(t)
	for _, test := range []struct {
		samples []float32
		rate    int
		says    string
	}{
		{nil, 16000, "count is 0"},
		{make([]float32, 100), 0, "sample_rate"},
		// A rate no int32_t holds is refused before the call (it would wrap to a valid one).
		{make([]float32, 100), 1<<32 + 16000, "4294983296"},
	} {
		_, err := model.Classify(test.samples, test.rate)
		if !errors.Is(err, StatusInvalidArgument) || !strings.Contains(err.Error(), test.says) {
			t.Errorf("%d samples at %d Hz: %v", len(test.samples), test.rate, err)
		}
	}
}

func TestUnreadableAudioNamesTheFile(t *testing.T) {
	_, err := ReadAudio("/nonexistent.wav", 0)
	if !errors.Is(err, StatusIO) || !strings.HasPrefix(err.Error(), "kws_audio_read: /nonexistent.wav") {
		t.Errorf("%v", err)
	}
	if _, err := ReadAudioBytes([]byte("not audio"), 0); err == nil || !strings.HasPrefix(err.Error(), "kws_audio_read_memory") {
		t.Errorf("%v", err)
	}
	if _, err := ReadAudio(repositoryFile(t, "examples/data/yes_no_up_down.wav"), 10); !errors.Is(err, StatusInvalidArgument) {
		t.Errorf("10 Hz: %v", err)
	}
}

func TestAClosedModelIsErrClosedAndClosingAgainDoesNothing(t *testing.T) {
	model, err := LoadModel(repositoryFile(t, "examples/models/commands_en.kws"))
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Close(); err != nil {
		t.Fatal(err)
	}
	if err := model.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := model.Classify(make([]float32, 1600), 16000); err != ErrClosed {
		t.Errorf("Classify after Close: %v", err)
	}
	if _, err := NewDetector(model); err != ErrClosed {
		t.Errorf("NewDetector after Close: %v", err)
	}
	var none *Model
	if _, err := NewDetector(none); err != ErrClosed {
		t.Errorf("NewDetector(nil): %v", err)
	}
	if err := none.Close(); err != nil {
		t.Errorf("nil Close: %v", err)
	}
}

func TestTheLoadedLibraryIsReported(t *testing.T) {
	path, err := LibraryPath()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil || !strings.Contains(path, "libkws.so") {
		t.Errorf("library %q: %v", path, err)
	}
	version, err := Version()
	if err != nil || strings.Count(version, ".") != 2 {
		t.Errorf("version %q: %v", version, err)
	}
}
