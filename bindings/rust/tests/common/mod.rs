//! Shared by the integration tests: the repository's bundled model and recordings.
#![allow(dead_code)] // each test file uses some of these

use std::path::PathBuf;

/// A file of the libkws checkout this crate sits in (bindings/rust).
pub fn repository_file(relative: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative);
    assert!(
        path.exists(),
        "{} not found: run the tests from a libkws checkout",
        path.display()
    );
    path
}

pub fn commands_model() -> kws::Model {
    kws::Model::load(repository_file("examples/models/commands_en.kws")).expect("bundled model")
}

/// examples/data/stream_commands.wav: "go", "stop", "yes", "on" among sentences, 10.6 s.
pub fn stream_commands() -> kws::Audio {
    kws::read_audio(repository_file("examples/data/stream_commands.wav"), None)
        .expect("bundled recording")
}

/// Every event of `samples` pushed in one piece, then finish().
pub fn events_of<S: kws::Sample>(
    model: &kws::Model,
    options: &kws::DetectorOptions,
    samples: &[S],
) -> Vec<kws::Detection> {
    let mut detector = kws::Detector::new(model, options).expect("detector");
    let mut events: Vec<kws::Detection> = detector.push(samples).expect("push").collect();
    events.extend(detector.finish().expect("finish"));
    events
}

/// A deterministic pseudo-random sequence in [0, 1) (a 64-bit LCG), for chunk sizes.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_fraction(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}
