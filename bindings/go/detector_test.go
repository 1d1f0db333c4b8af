package kws

import (
	"errors"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func TestStreamCommandsGivesTheSpokenKeywordsInOrder(t *testing.T) {
	model := commandsModel(t)
	audio := streamCommands(t)
	events := eventsOf(t, model, audio.Samples, WithSampleRate(audio.SampleRate))
	if labels := labelsOf(events); !reflect.DeepEqual(labels, []string{"go", "stop", "yes", "on"}) {
		t.Fatalf("labels %q", labels)
	}
	for i, event := range events {
		if model.Labels()[event.LabelIndex] != event.Label || event.Score <= 0.5 || event.Score > 1 ||
			event.EndSample <= event.StartSample || event.SampleRate != 16000 {
			t.Errorf("%+v", event)
		}
		if i > 0 && event.StartSample <= events[i-1].StartSample {
			t.Errorf("out of order: %+v", events)
		}
		if event.EndSeconds() != float64(event.EndSample)/16000 {
			t.Errorf("end %v s", event.EndSeconds())
		}
	}
	if math.Abs(events[0].StartSeconds()-0.98) > 0.01 {
		t.Errorf("go at %v s", events[0].StartSeconds())
	}
}

func TestTheSameAudioGivesTheSameEventsHoweverItIsChunked(t *testing.T) {
	model := commandsModel(t)
	audio := streamCommands(t)
	whole := eventsOf(t, model, audio.Samples)
	if len(whole) == 0 {
		t.Fatal("no events")
	}
	for _, test := range []struct {
		seed    int64
		largest int
	}{{1, 4000}, {2, 4000}, {3, 7}} {
		sizes := rand.New(rand.NewSource(test.seed))
		detector, err := NewDetector(model)
		if err != nil {
			t.Fatal(err)
		}
		var events []Detection
		for at := 0; at < len(audio.Samples); {
			size := sizes.Intn(test.largest + 1)
			if size > len(audio.Samples)-at {
				size = len(audio.Samples) - at
			}
			chunk, err := detector.Push(audio.Samples[at : at+size])
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, chunk...)
			at += size
		}
		tail, err := detector.Finish()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, tail...)
		if pushed, _ := detector.SamplesPushed(); pushed != int64(len(audio.Samples)) {
			t.Errorf("pushed %d", pushed)
		}
		detector.Close()
		if !reflect.DeepEqual(events, whole) {
			t.Errorf("seed %d, chunks up to %d: %+v, want %+v", test.seed, test.largest, events, whole)
		}
	}
}

func TestInt16InputGivesTheEventsOfTheSameAudioAsFloat(t *testing.T) {
	model := commandsModel(t)
	audio := streamCommands(t)
	pcm := make([]int16, len(audio.Samples))
	asFloat := make([]float32, len(audio.Samples))
	for i, value := range audio.Samples {
		pcm[i] = int16(math.Round(float64(value) * 32767))
		asFloat[i] = float32(pcm[i]) / 32768
	}
	expected := eventsOf(t, model, asFloat)
	detector, err := NewDetector(model)
	if err != nil {
		t.Fatal(err)
	}
	defer detector.Close()
	events, err := detector.PushInt16(pcm)
	if err != nil {
		t.Fatal(err)
	}
	tail, _ := detector.Finish()
	if events = append(events, tail...); len(expected) == 0 || !reflect.DeepEqual(events, expected) {
		t.Errorf("int16 %+v, float %+v", events, expected)
	}
}

func TestADetectorAt8kHzCountsPositionsAt8kHz(t *testing.T) {
	model := commandsModel(t)
	audio, err := ReadAudio(repositoryFile(t, "examples/data/stream_commands.wav"), 8000)
	if err != nil {
		t.Fatal(err)
	}
	detector, err := NewDetector(model, WithSampleRate(8000))
	if err != nil {
		t.Fatal(err)
	}
	if detector.SampleRate() != 8000 {
		t.Errorf("rate %d", detector.SampleRate())
	}
	detector.Close()
	events := eventsOf(t, model, audio.Samples, WithSampleRate(8000))
	if len(events) == 0 {
		t.Fatal("no events")
	}
	for _, event := range events {
		if event.SampleRate != 8000 || event.EndSample > int64(len(audio.Samples))+8000 {
			t.Errorf("%+v", event)
		}
	}
}

func TestOptionsReachTheLibrary(t *testing.T) {
	model := commandsModel(t)
	audio := streamCommands(t)
	// Only "yes" may fire, and at any score (the others' thresholds, the model's own included,
	// replaced by 1).
	thresholds := map[string]float32{}
	for _, label := range model.Labels() {
		thresholds[label] = 1
	}
	thresholds["yes"] = 0
	events := eventsOf(t, model, audio.Samples, WithThresholds(thresholds))
	if len(events) == 0 {
		t.Fatal("no events")
	}
	for _, event := range events {
		if event.Label != "yes" {
			t.Errorf("%+v", event)
		}
	}
	// Sensitivity 0: every effective threshold is t^0 = 1, nothing fires.
	if events := eventsOf(t, model, audio.Samples, WithSensitivity(0)); len(events) != 0 {
		t.Errorf("sensitivity 0: %+v", events)
	}
	// A lower threshold and no refractory period fire more often.
	eagerOptions := []DetectorOption{WithDefaultThreshold(0.2), WithRefractorySeconds(0), WithMinConsecutive(1)}
	eager := eventsOf(t, model, audio.Samples, eagerOptions...)
	if len(eager) <= 4 {
		t.Errorf("eager: %q", labelsOf(eager))
	}
	// Evaluations every 0.5 s (8000 samples) instead of 0.1 s: events start on that grid.
	onGrid := func(events []Detection) bool {
		for _, event := range events {
			if (event.StartSample-events[0].StartSample)%8000 != 0 {
				return false
			}
		}
		return true
	}
	if onGrid(eager) {
		t.Errorf("at the default stride, events are not all 0.5 s apart: %+v", eager)
	}
	if sparse := eventsOf(t, model, audio.Samples, append(eagerOptions, WithStrideSeconds(0.5))...); len(sparse) < 2 || !onGrid(sparse) {
		t.Errorf("stride 0.5 s: %+v", sparse)
	}
	// A half-second window.
	for _, event := range eventsOf(t, model, audio.Samples, append(eagerOptions, WithWindowSeconds(0.5))...) {
		if event.EndSample-event.StartSample > 9000 {
			t.Errorf("window 0.5 s: %+v", event)
		}
	}
	// Smoothing over a whole second blurs the keywords away.
	if smooth := eventsOf(t, model, audio.Samples, WithSmoothingSeconds(1)); reflect.DeepEqual(labelsOf(smooth), []string{"go", "stop", "yes", "on"}) {
		t.Errorf("smoothing 1 s: %q", labelsOf(smooth))
	}
}

func TestBadOptionsAreErrorsThatSayWhy(t *testing.T) {
	model := commandsModel(t)
	for _, test := range []struct {
		option DetectorOption
		says   []string
	}{
		{WithThresholds(map[string]float32{"maybe": 0.5}), []string{`"maybe"`, `"yes"`}},
		{WithStrideSeconds(-1), []string{"kws_detector_create: "}},
		{WithSampleRate(10), []string{"kws_detector_create: "}},
		{WithSampleRate(1 << 40), []string{"1099511627776"}},
		{WithMinConsecutive(1 << 40), []string{"min consecutive"}},
	} {
		_, err := NewDetector(model, test.option)
		if !errors.Is(err, StatusInvalidArgument) {
			t.Errorf("%v: not an invalid argument", err)
			continue
		}
		for _, part := range test.says {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("%q lacks %q", err, part)
			}
		}
	}
}

func TestScoresResetAndSamplesPushed(t *testing.T) {
	model := commandsModel(t)
	audio := streamCommands(t)
	detector, err := NewDetector(model)
	if err != nil {
		t.Fatal(err)
	}
	defer detector.Close()
	scores, _ := detector.Scores()
	if !reflect.DeepEqual(scores, make([]float32, len(model.Labels()))) {
		t.Errorf("before any audio: %v", scores)
	}
	first, err := detector.Push(audio.Samples[:48000])
	if err != nil {
		t.Fatal(err)
	}
	scores, _ = detector.Scores()
	sum := float32(0)
	for _, score := range scores {
		sum += score
	}
	if math.Abs(float64(sum)-1) > 1e-3 {
		t.Errorf("smoothed posteriors sum to %v", sum)
	}
	if pushed, _ := detector.SamplesPushed(); pushed != 48000 {
		t.Errorf("pushed %d", pushed)
	}
	if err := detector.Reset(); err != nil {
		t.Fatal(err)
	}
	if pushed, _ := detector.SamplesPushed(); pushed != 0 {
		t.Errorf("pushed %d after reset", pushed)
	}
	again, _ := detector.Push(audio.Samples[:48000])
	if !reflect.DeepEqual(again, first) {
		t.Errorf("a reset stream starts over: %+v, want %+v", again, first)
	}
	if none, err := detector.Push(nil); err != nil || len(none) != 0 {
		t.Errorf("empty push: %v %v", none, err)
	}
}

func TestPushingAfterFinishIsAnErrorUntilReset(t *testing.T) {
	detector, err := NewDetector(commandsModel(t))
	if err != nil {
		t.Fatal(err)
	}
	defer detector.Close()
	detector.Push(make([]float32, 1600))
	detector.Finish()
	if _, err := detector.Push(make([]float32, 1600)); !errors.Is(err, StatusInvalidArgument) || !strings.Contains(err.Error(), "finish") {
		t.Errorf("%v", err)
	}
	detector.Reset()
	if _, err := detector.Push(make([]float32, 1600)); err != nil {
		t.Error(err)
	}
}

func TestADetectorOutlivesItsModel(t *testing.T) {
	audio := streamCommands(t)
	expected := eventsOf(t, commandsModel(t), audio.Samples)
	model, err := LoadModel(repositoryFile(t, "examples/models/commands_en.kws"))
	if err != nil {
		t.Fatal(err)
	}
	detector, err := NewDetector(model)
	if err != nil {
		t.Fatal(err)
	}
	defer detector.Close()
	model.Close()
	events, _ := detector.Push(audio.Samples)
	tail, _ := detector.Finish()
	if events = append(events, tail...); !reflect.DeepEqual(events, expected) {
		t.Errorf("%+v, want %+v", events, expected)
	}
}

func TestAClosedDetectorIsErrClosedAndClosingAgainDoesNothing(t *testing.T) {
	detector, err := NewDetector(commandsModel(t))
	if err != nil {
		t.Fatal(err)
	}
	detector.Close()
	if err := detector.Close(); err != nil {
		t.Error(err)
	}
	if _, err := detector.Push(make([]float32, 100)); err != ErrClosed {
		t.Errorf("Push: %v", err)
	}
	if _, err := detector.Finish(); err != ErrClosed {
		t.Errorf("Finish: %v", err)
	}
	if err := detector.Reset(); err != ErrClosed {
		t.Errorf("Reset: %v", err)
	}
	if _, err := detector.Scores(); err != ErrClosed {
		t.Errorf("Scores: %v", err)
	}
	var none *Detector
	if _, err := none.Push(nil); err != ErrClosed || none.Close() != nil {
		t.Errorf("nil detector: %v", err)
	}
}
