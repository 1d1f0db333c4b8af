package kws

import (
	"os"
	"path/filepath"
	"testing"
)

// repositoryFile is a file of the libkws checkout this package sits in (bindings/go).
func repositoryFile(t testing.TB, relative string) string {
	t.Helper()
	path := filepath.Join(checkout(), relative)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("%s not found: run the tests from a libkws checkout", path)
	}
	return path
}

// commandsModel is the bundled English commands model, closed when the test ends.
func commandsModel(t testing.TB) *Model {
	t.Helper()
	model, err := LoadModel(repositoryFile(t, "examples/models/commands_en.kws"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { model.Close() })
	return model
}

// streamCommands is examples/data/stream_commands.wav: "go", "stop", "yes", "on" among
// sentences, 10.6 s.
func streamCommands(t testing.TB) Audio {
	t.Helper()
	audio, err := ReadAudio(repositoryFile(t, "examples/data/stream_commands.wav"), 0)
	if err != nil {
		t.Fatal(err)
	}
	return audio
}

// eventsOf pushes samples in one piece, then finishes, and returns every event.
func eventsOf(t testing.TB, model *Model, samples []float32, options ...DetectorOption) []Detection {
	t.Helper()
	detector, err := NewDetector(model, options...)
	if err != nil {
		t.Fatal(err)
	}
	defer detector.Close()
	events, err := detector.Push(samples)
	if err != nil {
		t.Fatal(err)
	}
	tail, err := detector.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return append(events, tail...)
}

// labelsOf are the events' labels, in order.
func labelsOf(events []Detection) []string {
	labels := []string{}
	for _, event := range events {
		labels = append(labels, event.Label)
	}
	return labels
}
