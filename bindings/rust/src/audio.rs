//! Audio files, read by libkws (libsndfile and libsoxr inside).
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::{Error, Result, Status};
use crate::library::api;
use crate::sample::sample_rate_argument;
use crate::sys;

/// Mono audio: float samples in [-1, 1] at `sample_rate` Hz.
#[derive(Debug, Clone, PartialEq)]
pub struct Audio {
    /// The samples (stereo is mixed down).
    pub samples: Vec<f32>,
    /// Their rate in Hz.
    pub sample_rate: u32,
}

/// Reads a WAV, FLAC or OGG file as mono float, resampled to `sample_rate` when it is given
/// (else at the file's own rate). The error names the file and the reason.
pub fn read_audio(path: impl AsRef<Path>, sample_rate: Option<u32>) -> Result<Audio> {
    let path = path.as_ref();
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        Error::new(
            Status::InvalidArgument,
            format!("audio path {path:?} holds a NUL byte"),
        )
    })?;
    let target = sample_rate
        .map(sample_rate_argument)
        .transpose()?
        .unwrap_or(0);
    read(|api, samples, count, rate| {
        // SAFETY: a NUL-terminated path and valid out-pointers.
        unsafe { (api.kws_audio_read)(c_path.as_ptr(), target, samples, count, rate) }
    })
}

/// The same from a file image in memory (e.g. an upload).
pub fn read_audio_bytes(data: &[u8], sample_rate: Option<u32>) -> Result<Audio> {
    let target = sample_rate
        .map(sample_rate_argument)
        .transpose()?
        .unwrap_or(0);
    read(|api, samples, count, rate| {
        // SAFETY: `data` is readable for its length; valid out-pointers.
        unsafe {
            (api.kws_audio_read_memory)(
                data.as_ptr().cast(),
                data.len(),
                target,
                samples,
                count,
                rate,
            )
        }
    })
}

/// Runs one of the kws_audio_read functions and copies the samples it allocated out before
/// releasing them with kws_audio_free.
fn read(
    call: impl FnOnce(&sys::Api, *mut *mut f32, *mut usize, *mut i32) -> sys::kws_status,
) -> Result<Audio> {
    let api = api()?;
    let mut samples: *mut f32 = std::ptr::null_mut();
    let mut count = 0usize;
    let mut rate = 0i32;
    Error::check(api, call(api, &mut samples, &mut count, &mut rate))?;
    // SAFETY: on success libkws gives `count` samples at `samples` (or NULL for none), which
    // are copied before kws_audio_free releases them.
    let copied = unsafe {
        let copied = if samples.is_null() {
            Vec::new()
        } else {
            std::slice::from_raw_parts(samples, count).to_vec()
        };
        (api.kws_audio_free)(samples);
        copied
    };
    Ok(Audio {
        samples: copied,
        sample_rate: rate as u32,
    }) // a rate libkws accepted: positive
}
