package kws

// Finding and loading libkws at run time, in the one search order of every libkws binding
// (Python's kws/_native.py, Node's lib/ffi.js, Rust's src/library.rs), first hit wins:
//
//  1. the path in the environment variable KWS_LIBRARY (a file, or a folder holding
//     libkws.so.0); when it is set nothing else is tried, so that a wrong value is reported
//     instead of hidden by another copy;
//  2. libkws.so.0 beside the running executable (what a program that ships the library bundles);
//  3. the repository's build trees, build/{release,debug,asan}/capi/libkws.so.0, when this
//     package was built from a libkws checkout;
//  4. the system loader: libkws.so.0 through LD_LIBRARY_PATH, the executable's run path and
//     ld.so.cache (after cmake --install).
//
// kws.h is read at build time for its types (cgo): from the checkout, where its generated
// kws/version.h is in a build tree, or from the compiler's include path after cmake --install.

/*
#cgo CFLAGS: -I${SRCDIR}/../../capi -I${SRCDIR}/../../include
#cgo CFLAGS: -I${SRCDIR}/../../build/release/include -I${SRCDIR}/../../build/debug/include -I${SRCDIR}/../../build/asan/include
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// abiMajor is the C ABI major this binding is written against (libkws.so's SOVERSION;
// tests/bindings checks it against CMakeLists.txt).
const abiMajor = 0

// libraryName is the file name of the library of this ABI major.
const libraryName = "libkws.so.0"

// buildPresets are the build trees searched from a checkout, in order: Python's BUILD_PRESETS
// (tests/bindings checks that they agree, and that the cgo include folders above list them).
var buildPresets = []string{"release", "debug", "asan"}

// candidate is a place the library is looked for: a file that must exist, a bare name for the
// system loader, or (note set) a place that does not apply here.
type candidate struct {
	kind   string
	target string
	isFile bool
	note   string
}

// libraryCandidates lists the places tried, in order. explicit is KWS_LIBRARY's value,
// executable the running program and checkout the repository this package was built in:
// parameters, so that the tests can give other ones.
func libraryCandidates(explicit, executable, checkout string) []candidate {
	if explicit != "" {
		if info, err := os.Stat(explicit); err == nil && info.IsDir() {
			explicit = filepath.Join(explicit, libraryName)
		}
		return []candidate{{kind: "KWS_LIBRARY", target: explicit, isFile: true}}
	}
	var candidates []candidate
	if executable != "" {
		candidates = append(candidates, candidate{kind: "beside the executable",
			target: filepath.Join(filepath.Dir(executable), libraryName), isFile: true})
	} else {
		candidates = append(candidates, candidate{kind: "beside the executable",
			note: "not searched: the running executable is not known"})
	}
	if _, err := os.Stat(filepath.Join(checkout, "capi", "kws.h")); err == nil {
		for _, preset := range buildPresets {
			candidates = append(candidates, candidate{kind: "build tree",
				target: filepath.Join(checkout, "build", preset, "capi", libraryName), isFile: true})
		}
	} else {
		candidates = append(candidates, candidate{kind: "build tree",
			note: fmt.Sprintf("not searched: %s is not a libkws checkout", checkout)})
	}
	return append(candidates, candidate{kind: "system", target: libraryName})
}

// openLibrary dlopen()s the first candidate that is a libkws of this ABI major, or says where it
// looked and how to fix it.
func openLibrary(candidates []candidate) (unsafe.Pointer, error) {
	var tried []string
	explicit := false
	for _, place := range candidates {
		if place.note != "" {
			tried = append(tried, fmt.Sprintf("  %s: %s", place.kind, place.note))
			continue
		}
		explicit = explicit || place.kind == "KWS_LIBRARY"
		if place.isFile {
			if _, err := os.Stat(place.target); err != nil {
				tried = append(tried, fmt.Sprintf("  %s: %s (not found)", place.kind, place.target))
				continue
			}
		}
		target := C.CString(place.target)
		var handle unsafe.Pointer
		var message *C.char
		failed := C.kwsgo_open(target, abiMajor, &handle, &message) != 0
		C.free(unsafe.Pointer(target))
		if !failed {
			return handle, nil
		}
		tried = append(tried, fmt.Sprintf("  %s: %s (%s)", place.kind, place.target, takeMessage(message)))
	}
	fix := "Build it (cmake --preset release && cmake --build build/release, from the repository root), " +
		"or set KWS_LIBRARY to the path of libkws.so.0, or install libkws system-wide."
	if explicit {
		fix = "Point KWS_LIBRARY at an existing libkws shared library (or unset it to search the default places)."
	}
	return nil, &Error{Status: StatusIO, Message: "libkws: cannot load the libkws shared library. Tried:\n" +
		strings.Join(tried, "\n") + "\n" + fix}
}

// takeMessage converts and frees a message the C side strdup()ed.
func takeMessage(message *C.char) string {
	defer C.free(unsafe.Pointer(message))
	return C.GoString(message)
}

// checkout is the repository this package's source sits in (bindings/go/../..), as built.
func checkout() string {
	_, source, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	return filepath.Clean(filepath.Join(filepath.Dir(source), "..", ".."))
}

var (
	loading sync.Mutex
	loaded  bool
	// loadedFile is the file the library came from.
	loadedFile string
)

// load loads the library of this process on first use. A failure is not remembered: the next
// call searches again (after KWS_LIBRARY was fixed, say).
func load() error {
	loading.Lock()
	defer loading.Unlock()
	if loaded {
		return nil
	}
	executable, _ := os.Executable() // "" when not known: that place is then not searched
	handle, err := openLibrary(libraryCandidates(os.Getenv("KWS_LIBRARY"), executable, checkout()))
	if err != nil {
		return err
	}
	C.kwsgo_bind(handle)
	loadedFile = C.GoString(C.kwsgo_library_file())
	loaded = true
	return nil
}

// isLoaded tells whether load has succeeded, without trying.
func isLoaded() bool {
	loading.Lock()
	defer loading.Unlock()
	return loaded
}

// LibraryPath is the path of the libkws shared library this process loaded, loading it on first
// use from the first of these places that holds one (the search order of every libkws binding):
// KWS_LIBRARY (a file, or a folder holding libkws.so.0; when set, nothing else is tried);
// libkws.so.0 beside the running executable; build/{release,debug,asan}/capi/libkws.so.0 of the
// libkws checkout this package was built in; the system loader (LD_LIBRARY_PATH, run path,
// ld.so.cache). The error (StatusIO) lists every place tried and how to fix it; a library of
// another ABI major is refused.
func LibraryPath() (string, error) {
	if err := load(); err != nil {
		return "", err
	}
	return loadedFile, nil
}

// Version is "MAJOR.MINOR.PATCH" of the libkws this process loaded.
func Version() (string, error) {
	if err := load(); err != nil {
		return "", err
	}
	return C.GoString(C.kwsgo_version_string()), nil
}
