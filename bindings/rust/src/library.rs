//! Finding and loading libkws at run time, in the one search order of every libkws binding
//! (Python's `kws/_native.py`, Node's `lib/ffi.js`), first hit wins:
//!
//! 1. the path in the environment variable `KWS_LIBRARY` (a file, or a folder holding
//!    `libkws.so.0`); when it is set nothing else is tried, so that a wrong value is reported
//!    instead of hidden by another copy;
//! 2. `libkws.so.0` beside the running executable (what a program that ships the library
//!    bundles, as `pip install` bundles it into the Python package);
//! 3. the repository's build trees, `build/{release,debug,asan}/capi/libkws.so.0`, when this
//!    crate sits in a libkws checkout (for use and tests from a checkout);
//! 4. the system loader: `libkws.so.0` through `LD_LIBRARY_PATH`, the executable's run path and
//!    ld.so.cache (after `cmake --install`).
//!
//! Nothing is loaded until the first call that needs the library; a failure lists every place
//! tried and how to fix it. Loading at run time (dlopen) instead of linking keeps `cargo build`
//! free of a build script and of the library itself.
use std::ffi::{CStr, CString, OsString};
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::Mutex;

use crate::error::{Error, Result, Status};
use crate::sys::Api;

/// The C ABI major this binding is written against (libkws.so's SOVERSION; tests/bindings
/// checks it against CMakeLists.txt).
pub(crate) const ABI_MAJOR: u32 = 0;
/// Build trees searched from a checkout, in order: Python's BUILD_PRESETS (tests/bindings checks
/// that they agree).
pub(crate) const BUILD_PRESETS: [&str; 3] = ["release", "debug", "asan"];
/// The file name of the library of this ABI major.
const LIBRARY_NAME: &str = "libkws.so.0";

const RTLD_NOW: c_int = 2;

#[repr(C)]
struct DlInfo {
    file_name: *const c_char,
    file_base: *mut c_void,
    symbol_name: *const c_char,
    symbol_address: *mut c_void,
}

#[link(name = "dl")] // in libc itself since glibc 2.34; libdl before that
extern "C" {
    fn dlopen(file_name: *const c_char, flags: c_int) -> *mut c_void;
    fn dlerror() -> *const c_char;
    fn dladdr(address: *const c_void, info: *mut DlInfo) -> c_int;
}

/// A place the library is looked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Candidate {
    /// A path that must exist.
    File { kind: &'static str, path: PathBuf },
    /// A bare name for the system loader.
    Name {
        kind: &'static str,
        name: &'static str,
    },
    /// A place that does not apply here, and why.
    NotSearched { kind: &'static str, note: String },
}

/// The places tried, in order (see the module documentation). `explicit` is KWS_LIBRARY's
/// value, `executable` the running program and `checkout` the repository this crate was built
/// in: parameters, so that the tests can give other ones.
pub(crate) fn candidates(
    explicit: Option<OsString>,
    executable: Option<PathBuf>,
    checkout: &Path,
) -> Vec<Candidate> {
    if let Some(explicit) = explicit.filter(|value| !value.is_empty()) {
        let mut path = PathBuf::from(explicit);
        if path.is_dir() {
            path.push(LIBRARY_NAME);
        }
        return vec![Candidate::File {
            kind: "KWS_LIBRARY",
            path,
        }];
    }
    let mut candidates = Vec::new();
    match executable
        .as_ref()
        .and_then(|executable| executable.parent())
    {
        Some(folder) => candidates.push(Candidate::File {
            kind: "beside the executable",
            path: folder.join(LIBRARY_NAME),
        }),
        None => candidates.push(Candidate::NotSearched {
            kind: "beside the executable",
            note: "not searched: the running executable is not known".to_string(),
        }),
    }
    if checkout.join("capi/kws.h").exists() {
        for preset in BUILD_PRESETS {
            let path = checkout
                .join("build")
                .join(preset)
                .join("capi")
                .join(LIBRARY_NAME);
            candidates.push(Candidate::File {
                kind: "build tree",
                path,
            });
        }
    } else {
        let note = format!(
            "not searched: {} is not a libkws checkout",
            checkout.display()
        );
        candidates.push(Candidate::NotSearched {
            kind: "build tree",
            note,
        });
    }
    candidates.push(Candidate::Name {
        kind: "system",
        name: LIBRARY_NAME,
    });
    candidates
}

/// The loaded library: its functions and the file they came from.
pub(crate) struct Library {
    pub api: Api,
    pub path: PathBuf,
}

/// dlopen()s `target` and checks that it is a libkws of this ABI major.
fn open(target: &CStr) -> std::result::Result<Library, String> {
    // SAFETY: dlopen/dlerror take and give NUL-terminated strings; the handle is kept open for
    // the life of the process (the functions resolved from it are used until exit).
    unsafe {
        let handle = dlopen(target.as_ptr(), RTLD_NOW);
        if handle.is_null() {
            let reason = dlerror();
            return Err(if reason.is_null() {
                "dlopen failed".to_string()
            } else {
                CStr::from_ptr(reason).to_string_lossy().into_owned()
            });
        }
        let api = Api::resolve(handle)
            .map_err(|missing| format!("not a libkws of ABI {ABI_MAJOR}: it lacks {missing}"))?;
        let major = (api.kws_version_number)() / 10000;
        if major != ABI_MAJOR {
            let version = CStr::from_ptr((api.kws_version_string)()).to_string_lossy();
            return Err(format!(
                "libkws {version} is ABI {major}; this binding needs ABI {ABI_MAJOR}"
            ));
        }
        // The file the loader chose (for a bare name, the search above found it somewhere).
        let mut info = DlInfo {
            file_name: std::ptr::null(),
            file_base: std::ptr::null_mut(),
            symbol_name: std::ptr::null(),
            symbol_address: std::ptr::null_mut(),
        };
        let path = if dladdr(api.kws_version_number as *const c_void, &mut info) != 0
            && !info.file_name.is_null()
        {
            PathBuf::from(std::ffi::OsStr::from_bytes(
                CStr::from_ptr(info.file_name).to_bytes(),
            ))
        } else {
            PathBuf::from(std::ffi::OsStr::from_bytes(target.to_bytes()))
        };
        Ok(Library { api, path })
    }
}

/// Loads the first candidate that is a libkws of this ABI major, or says where it looked.
pub(crate) fn load(candidates: &[Candidate]) -> Result<Library> {
    let mut tried = Vec::new();
    let mut explicit = false;
    for candidate in candidates {
        let (kind, target) = match candidate {
            Candidate::NotSearched { kind, note } => {
                tried.push(format!("  {kind}: {note}"));
                continue;
            }
            Candidate::File { kind, path } => {
                explicit |= *kind == "KWS_LIBRARY";
                if !path.exists() {
                    tried.push(format!("  {kind}: {} (not found)", path.display()));
                    continue;
                }
                (kind, path.as_os_str().as_bytes().to_vec())
            }
            Candidate::Name { kind, name } => (kind, name.as_bytes().to_vec()),
        };
        let shown = String::from_utf8_lossy(&target).into_owned();
        let target = CString::new(target).map_err(|_| {
            Error::new(
                Status::InvalidArgument,
                format!("library path {shown:?} holds a NUL byte"),
            )
        })?;
        match open(&target) {
            Ok(library) => return Ok(library),
            Err(reason) => tried.push(format!("  {kind}: {shown} ({reason})")),
        }
    }
    let fix = if explicit {
        "Point KWS_LIBRARY at an existing libkws shared library (or unset it to search the default places)."
    } else {
        "Build it (cmake --preset release && cmake --build build/release, from the repository root), \
         or set KWS_LIBRARY to the path of libkws.so.0, or install libkws system-wide."
    };
    Err(Error::new(
        Status::Io,
        format!(
            "libkws: cannot load the libkws shared library. Tried:\n{}\n{fix}",
            tried.join("\n")
        ),
    ))
}

static LOADED: AtomicPtr<Library> = AtomicPtr::new(std::ptr::null_mut());
static LOADING: Mutex<()> = Mutex::new(());

/// The library of this process, loaded on first use (a failure is not remembered: the next call
/// searches again, e.g. after KWS_LIBRARY was fixed).
pub(crate) fn library() -> Result<&'static Library> {
    let loaded = LOADED.load(Ordering::Acquire);
    if !loaded.is_null() {
        // SAFETY: set once below from a leaked Box, never freed.
        return Ok(unsafe { &*loaded });
    }
    let _guard = LOADING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let loaded = LOADED.load(Ordering::Acquire);
    if !loaded.is_null() {
        // SAFETY: as above.
        return Ok(unsafe { &*loaded });
    }
    let checkout = checkout();
    let library = load(&candidates(
        std::env::var_os("KWS_LIBRARY"),
        std::env::current_exe().ok(),
        &checkout,
    ))?;
    let library: &'static Library = Box::leak(Box::new(library));
    LOADED.store(library as *const Library as *mut Library, Ordering::Release);
    Ok(library)
}

/// The repository this crate was built in, if it still is where it was (bindings/rust/../..).
pub(crate) fn checkout() -> PathBuf {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&checkout).unwrap_or(checkout)
}

/// The functions of the loaded library.
pub(crate) fn api() -> Result<&'static Api> {
    library().map(|library| &library.api)
}

/// The path of the libkws shared library this process loaded, loading it on first use from the
/// first of these places that holds one (the search order of every libkws binding):
///
/// 1. `KWS_LIBRARY`: a file, or a folder holding `libkws.so.0`; when set, nothing else is tried;
/// 2. `libkws.so.0` beside the running executable;
/// 3. `build/{release,debug,asan}/capi/libkws.so.0` of the libkws checkout this crate was built
///    in, if it is one;
/// 4. the system loader (`LD_LIBRARY_PATH`, the executable's run path, ld.so.cache).
///
/// The error ([`Status::Io`]) lists every place tried and how to fix it; a library of another
/// ABI major is refused.
pub fn library_path() -> Result<&'static Path> {
    library().map(|library| library.path.as_path())
}

/// "MAJOR.MINOR.PATCH" of the libkws this process loaded.
pub fn version() -> Result<&'static str> {
    let api = api()?;
    // SAFETY: a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr((api.kws_version_string)()) };
    Ok(version.to_str().unwrap_or("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_of(candidates: &[Candidate]) -> String {
        match load(candidates) {
            Ok(library) => panic!("loaded {}", library.path.display()),
            Err(error) => {
                assert_eq!(error.status(), Status::Io);
                error.message().to_string()
            }
        }
    }

    #[test]
    fn kws_library_pointing_to_a_missing_file_is_an_error_naming_it_without_fallback() {
        let missing = std::env::temp_dir().join("no-such-dir/libkws.so.0");
        let candidates = candidates(
            Some(missing.clone().into()),
            std::env::current_exe().ok(),
            &crate::c_probe::repository(),
        );
        assert_eq!(candidates.len(), 1, "KWS_LIBRARY is the only candidate");
        let message = message_of(&candidates);
        assert!(
            message.contains(&format!("KWS_LIBRARY: {} (not found)", missing.display())),
            "{message}"
        );
        assert!(
            message.contains("Point KWS_LIBRARY at an existing libkws"),
            "{message}"
        );
        assert!(!message.contains("build tree"), "{message}");
    }

    #[test]
    fn kws_library_pointing_to_a_file_that_is_not_a_library_reports_the_loader_error() {
        let folder = std::env::temp_dir().join(format!("kws-rust-notlib-{}", std::process::id()));
        std::fs::create_dir_all(&folder).unwrap();
        let fake = folder.join("libkws.so.0");
        std::fs::write(&fake, "not an ELF file").unwrap();
        let message = message_of(&candidates(
            Some(folder.clone().into()),
            None,
            Path::new("/"),
        ));
        std::fs::remove_dir_all(&folder).unwrap();
        assert!(
            message.contains(&format!("KWS_LIBRARY: {} (", fake.display())),
            "{message}"
        );
    }

    #[test]
    fn kws_library_as_a_file_or_as_its_folder_is_used() {
        let loaded = library_path().expect("libkws");
        for value in [loaded, loaded.parent().unwrap()] {
            let library =
                load(&candidates(Some(value.into()), None, Path::new("/"))).expect("loads");
            // The same file, already loaded: the loader reports it by its first name.
            assert_eq!(library.path, loaded);
        }
    }

    #[test]
    fn found_nowhere_the_error_lists_every_place_and_the_fix() {
        let outside = std::env::temp_dir().join(format!("kws-rust-nolib-{}", std::process::id()));
        let executable = outside.join("program");
        let found = candidates(None, Some(executable), &outside);
        assert_eq!(
            found,
            vec![
                Candidate::File {
                    kind: "beside the executable",
                    path: outside.join(LIBRARY_NAME)
                },
                Candidate::NotSearched {
                    kind: "build tree",
                    note: format!(
                        "not searched: {} is not a libkws checkout",
                        outside.display()
                    )
                },
                Candidate::Name {
                    kind: "system",
                    name: LIBRARY_NAME
                },
            ]
        );
        // Without the system candidate: libkws may be installed on this machine.
        let message = message_of(&found[..2]);
        assert!(
            message.starts_with("libkws: cannot load the libkws shared library. Tried:\n"),
            "{message}"
        );
        assert!(message.contains(&format!(
            "beside the executable: {} (not found)",
            outside.join(LIBRARY_NAME).display()
        )));
        assert!(message.contains("build tree: not searched"), "{message}");
        assert!(
            message.contains("cmake --preset release") && message.contains("set KWS_LIBRARY"),
            "{message}"
        );
    }

    #[test]
    fn a_checkout_searches_its_build_trees_in_preset_order() {
        let checkout = crate::c_probe::repository();
        let found = candidates(None, None, &checkout);
        let build_trees: Vec<PathBuf> = found
            .iter()
            .filter_map(|candidate| match candidate {
                Candidate::File {
                    kind: "build tree",
                    path,
                } => Some(path.clone()),
                _ => None,
            })
            .collect();
        let expected: Vec<PathBuf> = ["release", "debug", "asan"]
            .iter()
            .map(|preset| checkout.join("build").join(preset).join("capi/libkws.so.0"))
            .collect();
        assert_eq!(build_trees, expected);
    }
}
