package kws

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// openError is the message openLibrary gives for candidates (which must all fail).
func openError(t *testing.T, candidates []candidate) string {
	t.Helper()
	_, err := openLibrary(candidates)
	if !errors.Is(err, StatusIO) {
		t.Fatalf("expected a StatusIO error, got %v", err)
	}
	return err.Error()
}

func TestKWSLibraryPointingToAMissingFileIsAnErrorNamingItWithoutFallback(t *testing.T) {
	missing := filepath.Join(os.TempDir(), "no-such-dir", "libkws.so.0")
	executable, _ := os.Executable()
	candidates := libraryCandidates(missing, executable, checkout())
	if len(candidates) != 1 {
		t.Fatalf("KWS_LIBRARY must be the only candidate: %+v", candidates)
	}
	message := openError(t, candidates)
	for _, part := range []string{"KWS_LIBRARY: " + missing + " (not found)", "Point KWS_LIBRARY at an existing libkws"} {
		if !strings.Contains(message, part) {
			t.Errorf("%q lacks %q", message, part)
		}
	}
	if strings.Contains(message, "build tree") {
		t.Errorf("fell back: %q", message)
	}
}

func TestKWSLibraryPointingToAFileThatIsNotALibraryReportsTheLoaderError(t *testing.T) {
	folder := t.TempDir()
	fake := filepath.Join(folder, "libkws.so.0")
	if err := os.WriteFile(fake, []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if message := openError(t, libraryCandidates(folder, "", "/")); !strings.Contains(message, "KWS_LIBRARY: "+fake+" (") {
		t.Errorf("%q", message)
	}
}

func TestKWSLibraryAsAFileOrAsItsFolderIsUsed(t *testing.T) {
	loaded, err := LibraryPath()
	if err != nil {
		t.Fatal(err)
	}
	for _, value := range []string{loaded, filepath.Dir(loaded)} {
		if _, err := openLibrary(libraryCandidates(value, "", "/")); err != nil {
			t.Errorf("KWS_LIBRARY=%s: %v", value, err)
		}
	}
}

func TestFoundNowhereTheErrorListsEveryPlaceAndTheFix(t *testing.T) {
	outside := t.TempDir()
	candidates := libraryCandidates("", filepath.Join(outside, "program"), outside)
	want := []candidate{
		{kind: "beside the executable", target: filepath.Join(outside, libraryName), isFile: true},
		{kind: "build tree", note: fmt.Sprintf("not searched: %s is not a libkws checkout", outside)},
		{kind: "system", target: libraryName},
	}
	if !reflect.DeepEqual(candidates, want) {
		t.Fatalf("%+v", candidates)
	}
	// Without the system candidate: libkws may be installed on this machine.
	message := openError(t, candidates[:2])
	for _, part := range []string{"libkws: cannot load the libkws shared library. Tried:\n",
		"beside the executable: " + filepath.Join(outside, libraryName) + " (not found)",
		"build tree: not searched", "cmake --preset release", "set KWS_LIBRARY"} {
		if !strings.Contains(message, part) {
			t.Errorf("%q lacks %q", message, part)
		}
	}
}

func TestACheckoutSearchesItsBuildTreesInPresetOrder(t *testing.T) {
	var buildTrees []string
	for _, place := range libraryCandidates("", "", checkout()) {
		if place.kind == "build tree" {
			buildTrees = append(buildTrees, place.target)
		}
	}
	var want []string
	for _, preset := range []string{"release", "debug", "asan"} {
		want = append(want, filepath.Join(checkout(), "build", preset, "capi", "libkws.so.0"))
	}
	if !reflect.DeepEqual(buildTrees, want) {
		t.Errorf("%q", buildTrees)
	}
}
