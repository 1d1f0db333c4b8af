package kws

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The binding against the C API itself: tests/bindings/c_api_events.c, compiled against the
// library this process loaded, on the bundled recordings.

// bundled pairs every bundled recording with the model made for it.
var bundled = []struct{ model, audio string }{
	{"examples/models/commands_en.kws", "examples/data/yes_no_up_down.wav"},
	{"examples/models/commands_en.kws", "examples/data/stream_commands.wav"},
	{"examples/models/commands_en_large.kws", "examples/data/stream_commands.wav"},
	{"examples/models/computer.kws", "examples/data/hey_computer.wav"},
}

// outcome is what one recording gives: the clip's best label and every score, then the
// stream's events.
type outcome struct {
	Best   int
	Scores []float32
	Events []Detection
}

// compileCAPIEvents builds c_api_events.c with $CC (else cc) against library, with an rpath to
// its folder so that the program runs that very file.
func compileCAPIEvents(t *testing.T, library string) string {
	t.Helper()
	var generated string
	for _, preset := range buildPresets {
		folder := filepath.Join(checkout(), "build", preset, "include")
		if _, err := os.Stat(filepath.Join(folder, "kws", "version.h")); err == nil {
			generated = folder
			break
		}
	}
	if generated == "" {
		t.Fatal("kws/version.h not found under build/<preset>/include: build libkws first")
	}
	compiler := os.Getenv("CC")
	if compiler == "" {
		compiler = "cc"
	}
	binary := filepath.Join(t.TempDir(), "c_api_events")
	command := exec.Command(compiler, "-std=c99", "-o", binary, repositoryFile(t, "tests/bindings/c_api_events.c"),
		"-I", filepath.Join(checkout(), "capi"), "-I", filepath.Join(checkout(), "include"), "-I", generated,
		library, "-Wl,-rpath,"+filepath.Dir(library))
	if output, err := command.CombinedOutput(); err != nil {
		t.Fatalf("compiling c_api_events.c with %s: %v\n%s", compiler, err, output)
	}
	return binary
}

// parseCAPIEvents reads the program's output; "%.9g" text parses back to the very float.
func parseCAPIEvents(t *testing.T, output string, sampleRate int) outcome {
	t.Helper()
	var result outcome
	number := func(text string, bits int) float64 {
		value, err := strconv.ParseFloat(text, bits)
		if err != nil {
			t.Fatal(err)
		}
		return value
	}
	for _, line := range strings.Split(strings.TrimSpace(output), "\n") {
		words := strings.Fields(line)
		switch words[0] {
		case "classify":
			result.Best = int(number(words[1], 64))
			for _, word := range words[2:] {
				result.Scores = append(result.Scores, float32(number(word, 32)))
			}
		case "event":
			result.Events = append(result.Events, Detection{Label: words[2], LabelIndex: int(number(words[1], 64)),
				Score: float32(number(words[3], 32)), StartSample: int64(number(words[4], 64)),
				EndSample: int64(number(words[5], 64)), SampleRate: sampleRate})
		default:
			t.Fatalf("unexpected line from c_api_events: %q", line)
		}
	}
	return result
}

func TestClassificationAndEventsEqualTheCAPIOnTheBundledRecordings(t *testing.T) {
	library, err := LibraryPath()
	if err != nil {
		t.Fatal(err)
	}
	program := compileCAPIEvents(t, library)
	events := 0
	for _, pair := range bundled {
		modelPath, audioPath := repositoryFile(t, pair.model), repositoryFile(t, pair.audio)
		model, err := LoadModel(modelPath)
		if err != nil {
			t.Fatal(err)
		}
		audio, err := ReadAudio(audioPath, 0)
		if err != nil {
			t.Fatal(err)
		}
		clip, err := model.Classify(audio.Samples, audio.SampleRate)
		if err != nil {
			t.Fatal(err)
		}
		// One push, where the C program pushes 100 ms chunks: the events must not depend on it.
		got := outcome{Best: clip.LabelIndex, Scores: clip.Scores,
			Events: eventsOf(t, model, audio.Samples, WithSampleRate(audio.SampleRate))}
		model.Close()
		output, err := exec.Command(program, modelPath, audioPath).Output()
		if err != nil {
			t.Fatalf("c_api_events %s %s: %v", modelPath, audioPath, err)
		}
		expected := parseCAPIEvents(t, string(output), audio.SampleRate)
		events += len(expected.Events)
		if !reflect.DeepEqual(got, expected) {
			t.Errorf("%s on %s:\n got %+v\nwant %+v", pair.model, pair.audio, got, expected)
		}
	}
	if events < 5 {
		t.Errorf("the bundled recordings should give keyword events, got %d", events)
	}
}
