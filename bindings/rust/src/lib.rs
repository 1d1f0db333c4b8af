//! Keyword spotting from Rust over the stable libkws C API (`capi/kws.h`, `libkws.so.0`), which
//! is loaded at run time (see [`library_path`] for where it is looked for): no crates, no build
//! script, no C toolchain needed to build.
//!
//! ```no_run
//! let model = kws::Model::load("examples/models/commands_en.kws")?;
//! let audio = kws::read_audio("examples/data/stream_commands.wav", None)?;
//! println!("{}", model.classify(&audio.samples, audio.sample_rate)?.label);
//! let options = kws::DetectorOptions { sample_rate: Some(audio.sample_rate), ..Default::default() };
//! let mut detector = kws::Detector::new(&model, &options)?;  // one per stream
//! for event in detector.push(&audio.samples)?.chain(detector.finish()?) {  // chunks of any size
//!     println!("{} {:.2} {:.2}-{:.2} s", event.label, event.score, event.start_seconds(), event.end_seconds());
//! }
//! # Ok::<(), kws::Error>(())
//! ```
//!
//! Threads, as the C API promises: one [`Model`] (`Send + Sync`) is shared by any number of
//! threads, and each audio stream gets its own [`Detector`] (`Send`, one thread at a time).
//! Every failure is an [`Error`] with the C API's [`Status`] and libkws's message. Handles are
//! freed when dropped.
#![deny(missing_docs)]

mod audio;
#[cfg(test)]
mod c_probe;
mod detector;
mod error;
mod library;
mod model;
mod sample;
mod sys;
#[cfg(test)]
mod tests;

pub use audio::{read_audio, read_audio_bytes, Audio};
pub use detector::{Detection, Detector, DetectorOptions, Events};
pub use error::{Error, Result, Status};
pub use library::{library_path, version};
pub use model::{Classification, Model};
pub use sample::Sample;
