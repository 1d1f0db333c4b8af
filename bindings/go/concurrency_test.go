package kws

import (
	"errors"
	"reflect"
	"sync"
	"testing"
)

// Concurrency as the C API promises it: one model shared by many goroutines, one detector per
// stream. Run under the race detector by ./setup.sh test (go test -race).

const goroutines = 8

func TestEightGoroutinesWithTheirOwnDetectorsOverOneModelGiveTheSingleThreadEvents(t *testing.T) {
	model := commandsModel(t)
	audio := streamCommands(t)
	expected := eventsOf(t, model, audio.Samples)
	if len(expected) != 4 {
		t.Fatalf("expected the 4 spoken keywords, got %q", labelsOf(expected))
	}
	clip, err := model.Classify(audio.Samples, audio.SampleRate)
	if err != nil {
		t.Fatal(err)
	}
	events := make([][]Detection, goroutines)
	clips := make([]Classification, goroutines)
	failures := make([]error, goroutines)
	var running sync.WaitGroup
	for goroutine := 0; goroutine < goroutines; goroutine++ {
		running.Add(1)
		go func(goroutine int) {
			defer running.Done()
			// Each its own detector, fed in its own chunk size, and classifying on the shared
			// model too.
			detector, err := NewDetector(model)
			if err != nil {
				failures[goroutine] = err
				return
			}
			defer detector.Close()
			chunk := 800 + 400*goroutine
			for at := 0; at < len(audio.Samples); at += chunk {
				end := at + chunk
				if end > len(audio.Samples) {
					end = len(audio.Samples)
				}
				found, err := detector.Push(audio.Samples[at:end])
				if err != nil {
					failures[goroutine] = err
					return
				}
				events[goroutine] = append(events[goroutine], found...)
			}
			tail, err := detector.Finish()
			events[goroutine] = append(events[goroutine], tail...)
			if err == nil {
				clips[goroutine], err = model.Classify(audio.Samples, audio.SampleRate)
			}
			failures[goroutine] = err
		}(goroutine)
	}
	running.Wait()
	for goroutine := 0; goroutine < goroutines; goroutine++ {
		if failures[goroutine] != nil {
			t.Errorf("goroutine %d: %v", goroutine, failures[goroutine])
		} else if !reflect.DeepEqual(events[goroutine], expected) || !reflect.DeepEqual(clips[goroutine], clip) {
			t.Errorf("goroutine %d: %+v %+v, want %+v %+v", goroutine, events[goroutine], clips[goroutine], expected, clip)
		}
	}
}

func TestClosingAModelWhileGoroutinesClassifyWaitsForThem(t *testing.T) {
	model, err := LoadModel(repositoryFile(t, "examples/models/commands_en.kws"))
	if err != nil {
		t.Fatal(err)
	}
	clip := make([]float32, 16000)
	var running sync.WaitGroup
	failures := make(chan error, goroutines*4)
	for goroutine := 0; goroutine < goroutines; goroutine++ {
		running.Add(1)
		go func() {
			defer running.Done()
			for call := 0; call < 4; call++ {
				if _, err := model.Classify(clip, 16000); err != nil && !errors.Is(err, ErrClosed) {
					failures <- err
				}
			}
		}()
	}
	model.Close() // while calls run: waits for them, and later ones get ErrClosed
	running.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
}

func TestOneDetectorUsedFromManyGoroutinesIsSerialised(t *testing.T) {
	model := commandsModel(t)
	audio := streamCommands(t)
	detector, err := NewDetector(model)
	if err != nil {
		t.Fatal(err)
	}
	// Misuse the C API forbids (two threads on one detector) is serialised by the binding: the
	// samples all arrive, in some order, and nothing crashes; Close waits for a running push.
	var running sync.WaitGroup
	chunk := len(audio.Samples) / goroutines
	for goroutine := 0; goroutine < goroutines; goroutine++ {
		running.Add(1)
		go func(goroutine int) {
			defer running.Done()
			if _, err := detector.Push(audio.Samples[goroutine*chunk : (goroutine+1)*chunk]); err != nil {
				t.Error(err)
			}
		}(goroutine)
	}
	running.Wait()
	if pushed, err := detector.SamplesPushed(); err != nil || pushed != int64(goroutines*chunk) {
		t.Errorf("pushed %d: %v", pushed, err)
	}
	detector.Close()
}
