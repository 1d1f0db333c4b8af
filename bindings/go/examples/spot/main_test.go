package main

import (
	"bytes"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repositoryFile is a file of the libkws checkout (bindings/go/examples/spot/../../../..).
func repositoryFile(relative string) string {
	_, source, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(source), "..", "..", "..", "..", relative)
}

func TestSpotPrintsTheClipLabelAndEachEventWithItsTime(t *testing.T) {
	var stdout, stderr bytes.Buffer
	status := run([]string{"-model", repositoryFile("examples/models/commands_en.kws"),
		repositoryFile("examples/data/stream_commands.wav")}, &stdout, &stderr)
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 8 || !strings.HasPrefix(lines[0], "libkws ") ||
		!strings.HasSuffix(lines[1], "stream_commands.wav: 10.60 s at 16000 Hz") ||
		!strings.HasPrefix(lines[2], "classified: ") || lines[3] != "events:" {
		t.Fatalf("%s", stdout.String())
	}
	// The times and scores kws-classify-c prints for this recording.
	want := []string{
		"     0.98-   2.02 s  go           0.980",
		"     4.28-   5.32 s  stop         0.862",
		"     7.48-   8.52 s  yes          0.959",
		"     9.08-  10.12 s  on           0.983",
	}
	for i, line := range want {
		if lines[4+i] != line {
			t.Errorf("line %d: %q, want %q", 4+i, lines[4+i], line)
		}
	}
}

func TestSpotFailsWithTheReasonAndRefusesBadUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if status := run([]string{"/nonexistent.wav"}, &stdout, &stderr); status != 1 ||
		!strings.HasPrefix(stderr.String(), "spot: kws_audio_read: /nonexistent.wav") {
		t.Errorf("status %d: %q", status, stderr.String())
	}
	for _, arguments := range [][]string{nil, {"-model"}, {"a.wav", "b.wav"}, {"-bogus", "a.wav"}} {
		if status := run(arguments, &stdout, &stderr); status != 2 {
			t.Errorf("%q: status %d", arguments, status)
		}
	}
}
