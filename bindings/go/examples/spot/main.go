// Command spot is kws-classify-c in Go: it spots keywords in an audio file.
//
//	go run ./examples/spot [-model M] FILE
//
// It reads FILE (WAV/FLAC/OGG, any rate), classifies it as one clip, then streams it through a
// detector in 100 ms chunks, as a live source would, and prints each keyword event with its
// time. The model is -model, else $KWS_MODEL, else the repository's
// examples/models/commands_en.kws.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"libkws/kws"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// defaultModel is the repository's English commands model, found from this file's place.
func defaultModel() string {
	if model := os.Getenv("KWS_MODEL"); model != "" {
		return model
	}
	_, source, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(source), "..", "..", "..", "..", "examples", "models", "commands_en.kws")
}

// run is the program, with its arguments and output as parameters (for the test); it returns
// the exit status: 0, 1 when spotting fails, 2 for bad usage.
func run(arguments []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("spot", flag.ContinueOnError)
	flags.SetOutput(stderr)
	modelPath := flags.String("model", defaultModel(), "model file (.kws)")
	if err := flags.Parse(arguments); err != nil || flags.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: spot [-model M] FILE")
		return 2
	}
	if err := spot(*modelPath, flags.Arg(0), stdout); err != nil {
		fmt.Fprintf(stderr, "spot: %v\n", err)
		return 1
	}
	return 0
}

func spot(modelPath, audioPath string, stdout io.Writer) error {
	model, err := kws.LoadModel(modelPath)
	if err != nil {
		return err
	}
	defer model.Close()
	version, _ := kws.Version()
	library, _ := kws.LibraryPath()
	fmt.Fprintf(stdout, "libkws %s (%s)\n", version, library)
	audio, err := kws.ReadAudio(audioPath, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %.2f s at %d Hz\n", audioPath, float64(len(audio.Samples))/float64(audio.SampleRate), audio.SampleRate)

	clip, err := model.Classify(audio.Samples, audio.SampleRate)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "classified: %s %.3f\n", clip.Label, clip.Score)

	detector, err := kws.NewDetector(model, kws.WithSampleRate(audio.SampleRate))
	if err != nil {
		return err
	}
	defer detector.Close()
	fmt.Fprintln(stdout, "events:")
	heard := 0
	show := func(events []kws.Detection) {
		for _, event := range events {
			heard++
			fmt.Fprintf(stdout, "  %7.2f-%7.2f s  %-12s %.3f\n", event.StartSeconds(), event.EndSeconds(), event.Label, event.Score)
		}
	}
	chunk := audio.SampleRate / 10
	for at := 0; at < len(audio.Samples); at += chunk {
		end := at + chunk
		if end > len(audio.Samples) {
			end = len(audio.Samples)
		}
		events, err := detector.Push(audio.Samples[at:end])
		if err != nil {
			return err
		}
		show(events)
	}
	events, err := detector.Finish()
	if err != nil {
		return err
	}
	show(events)
	if heard == 0 {
		fmt.Fprintln(stdout, "  (none above the thresholds)")
	}
	return nil
}
