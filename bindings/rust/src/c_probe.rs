//! For the tests: small C programs over kws.h, compiled with the machine's C compiler ($CC, else
//! cc), so that the binding is compared with what C itself sees (struct layouts, and the events
//! the C API gives). Missing pieces fail the test with the fix, rather than skip it.
use std::path::{Path, PathBuf};
use std::process::Command;

/// The libkws checkout this crate sits in (bindings/rust).
pub fn repository() -> PathBuf {
    let repository = crate::library::checkout();
    assert!(
        repository.join("capi/kws.h").exists(),
        "{} is not a libkws checkout",
        repository.display()
    );
    repository
}

/// `-I` folders for kws.h: capi/, include/ (kws/limits.h) and the build tree's generated
/// kws/version.h.
fn include_folders() -> Vec<PathBuf> {
    let repository = repository();
    let generated = crate::library::BUILD_PRESETS
        .iter()
        .map(|preset| repository.join("build").join(preset).join("include"))
        .find(|folder| folder.join("kws/version.h").exists())
        .expect("kws/version.h not found under build/<preset>/include: build libkws first (cmake --preset release && cmake --build build/release)");
    vec![
        repository.join("capi"),
        repository.join("include"),
        generated,
    ]
}

/// A C program built for one test, in its own temporary folder (removed on drop).
pub struct CProgram {
    folder: PathBuf,
    binary: PathBuf,
}

impl CProgram {
    /// Compiles `source` (C99); `library` is linked (with an rpath to its folder, so that the
    /// program runs that very file) when given.
    pub fn compile(name: &str, source: &str, library: Option<&Path>) -> CProgram {
        let folder = std::env::temp_dir().join(format!("kws-rust-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&folder).expect("temporary folder");
        let program = CProgram {
            binary: folder.join(name),
            folder,
        };
        let source_path = program.folder.join(format!("{name}.c"));
        std::fs::write(&source_path, source).expect("writing the C source");
        let compiler = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
        let mut command = Command::new(&compiler);
        command
            .arg("-std=c99")
            .arg("-o")
            .arg(&program.binary)
            .arg(&source_path);
        for folder in include_folders() {
            command.arg("-I").arg(folder);
        }
        if let Some(library) = library {
            let library_folder = library.parent().expect("library folder");
            command
                .arg(library)
                .arg(format!("-Wl,-rpath,{}", library_folder.display()));
        }
        let output = command.output().unwrap_or_else(|error| {
            panic!("cannot run the C compiler '{compiler}' (set CC): {error}")
        });
        assert!(
            output.status.success(),
            "compiling {name}.c failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        program
    }

    /// Runs the program and returns its standard output; fails the test when it fails.
    pub fn run(&self, arguments: &[&Path]) -> String {
        let output = Command::new(&self.binary)
            .args(arguments)
            .output()
            .expect("running the C program");
        assert!(
            output.status.success(),
            "{} failed: {}",
            self.binary.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }
}

impl Drop for CProgram {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}
