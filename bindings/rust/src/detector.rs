//! Streaming detection: one [`Detector`] per audio stream.
use std::collections::HashMap;
use std::ffi::CStr;
use std::ptr::NonNull;

use crate::error::{Error, Result, Status};
use crate::model::Model;
use crate::sample::{sample_rate_argument, Sample};
use crate::sys;

/// How a detector listens. Every `None` takes the library's default (`kws_detector_params_init`,
/// the one place the defaults are defined), so `DetectorOptions::default()` is libkws's own
/// setting; change the fields you need:
///
/// ```
/// let options = kws::DetectorOptions { sample_rate: Some(8000), ..Default::default() };
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectorOptions {
    /// Rate (Hz) of the pushed PCM; default: the model's.
    pub sample_rate: Option<u32>,
    /// The analysis window; default: the model's (1 s in the recipe).
    pub window_seconds: Option<f32>,
    /// How often the model is evaluated; default 0.1.
    pub stride_seconds: Option<f32>,
    /// Span of the posteriors' moving average; default 0.3.
    pub smoothing_seconds: Option<f32>,
    /// 0..1: the effective threshold is threshold^(2 * sensitivity); default 0.5 (thresholds as
    /// they are).
    pub sensitivity: Option<f32>,
    /// No event for this long after one; default 0.5.
    pub refractory_seconds: Option<f32>,
    /// The threshold of labels without one in the model or in `thresholds`; default 0.5.
    pub default_threshold: Option<f32>,
    /// Evaluations in a row above the threshold before a label fires; default 3.
    pub min_consecutive: Option<u32>,
    /// Per-label thresholds by label name (a label the model lacks is an error).
    pub thresholds: HashMap<String, f32>,
}

/// One keyword event. Positions count samples from the start of the stream (or the latest
/// [`Detector::reset`]) at the detector's rate; `[start_sample, end_sample)` is the analysis
/// window it fired in.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The keyword.
    pub label: String,
    /// Its index in [`Model::labels`].
    pub label_index: usize,
    /// Its smoothed posterior, in [0, 1].
    pub score: f32,
    /// First sample of the window.
    pub start_sample: i64,
    /// One past its last sample.
    pub end_sample: i64,
    /// The detector's rate, for the times in seconds.
    pub sample_rate: u32,
}

impl Detection {
    /// `start_sample` in seconds.
    pub fn start_seconds(&self) -> f64 {
        self.start_sample as f64 / f64::from(self.sample_rate)
    }

    /// `end_sample` in seconds.
    pub fn end_seconds(&self) -> f64 {
        self.end_sample as f64 / f64::from(self.sample_rate)
    }
}

/// The events one [`Detector::push`] or [`Detector::finish`] completed, oldest first. Owned:
/// the detector may be used again while they are read.
#[derive(Debug)]
pub struct Events {
    events: std::vec::IntoIter<Detection>,
}

impl Iterator for Events {
    type Item = Detection;

    fn next(&mut self) -> Option<Detection> {
        self.events.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.events.size_hint()
    }
}

impl ExactSizeIterator for Events {}

impl DoubleEndedIterator for Events {
    fn next_back(&mut self) -> Option<Detection> {
        self.events.next_back()
    }
}

/// Keyword spotting over one audio stream: push PCM chunks of any size, get the events. The
/// same audio gives the same events however it is cut into chunks.
///
/// One stream, one thread at a time: a detector is `Send` (move it to the thread that reads the
/// stream) but not `Sync`. Many detectors may share one [`Model`], and a detector keeps working
/// after its model is dropped. Dropping it frees it.
///
/// ```compile_fail
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<kws::Detector>(); // one thread at a time: not Sync
/// ```
pub struct Detector {
    handle: NonNull<sys::kws_detector>,
    api: &'static sys::Api,
    sample_rate: u32,
}

// SAFETY: a kws_detector is not tied to the thread that made it (kws.h: "one thread at a time
// per handle"); &mut self on every call that changes it keeps it to one thread at a time.
unsafe impl Send for Detector {}

impl Detector {
    /// A detector over `model` (which it keeps its own reference to).
    pub fn new(model: &Model, options: &DetectorOptions) -> Result<Detector> {
        let api = crate::library::api()?;
        let mut params = std::mem::MaybeUninit::<sys::kws_detector_params>::uninit();
        // SAFETY: params_init fills every field of the struct, size included.
        let mut params = unsafe {
            (api.kws_detector_params_init)(params.as_mut_ptr());
            params.assume_init()
        };
        if let Some(rate) = options.sample_rate {
            params.sample_rate = sample_rate_argument(rate)?;
        }
        let seconds = [
            (options.window_seconds, &mut params.window_seconds),
            (options.stride_seconds, &mut params.stride_seconds),
            (options.smoothing_seconds, &mut params.smoothing_seconds),
            (options.sensitivity, &mut params.sensitivity),
            (options.refractory_seconds, &mut params.refractory_seconds),
            (options.default_threshold, &mut params.default_threshold),
        ];
        for (given, field) in seconds {
            if let Some(value) = given {
                *field = value;
            }
        }
        if let Some(count) = options.min_consecutive {
            params.min_consecutive = i32::try_from(count).map_err(|_| {
                Error::new(
                    Status::InvalidArgument,
                    format!("min_consecutive {count} is out of range"),
                )
            })?;
        }
        let thresholds = per_label_thresholds(model, &options.thresholds)?;
        if !thresholds.is_empty() {
            params.thresholds = thresholds.as_ptr();
            params.thresholds_count = thresholds.len();
        }
        let mut handle = std::ptr::null_mut();
        // SAFETY: a live model, initialised params whose thresholds (copied by the call) outlive
        // it, and a valid out-pointer.
        Error::check(api, unsafe {
            (api.kws_detector_create)(model.raw(), &params, &mut handle)
        })?;
        let handle = NonNull::new(handle)
            .ok_or_else(|| Error::new(Status::Internal, "kws_detector_create gave no detector"))?;
        let mut detector = Detector {
            handle,
            api,
            sample_rate: 0,
        };
        let mut rate = 0i32;
        // SAFETY: a live detector and a valid out-pointer.
        Error::check(api, unsafe {
            (api.kws_detector_sample_rate)(detector.handle.as_ptr(), &mut rate)
        })?;
        detector.sample_rate = rate as u32; // checked by kws_detector_create to be in range
        Ok(detector)
    }

    /// The rate (Hz) pushed PCM is taken to be at: the options' `sample_rate`, else the model's.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Feeds a chunk of the stream (`f32` in [-1, 1] or `i16`, at [`Detector::sample_rate`]);
    /// returns the events it completed.
    pub fn push<S: Sample>(&mut self, samples: &[S]) -> Result<Events> {
        // SAFETY: a live detector; `samples` is valid for its length.
        let status = unsafe {
            S::push(
                self.api,
                self.handle.as_ptr(),
                samples.as_ptr(),
                samples.len(),
            )
        };
        Error::check(self.api, status)?;
        self.take_events()
    }

    /// Ends the stream: flushes buffered audio and evaluates the tail. Push again only after
    /// [`Detector::reset`].
    pub fn finish(&mut self) -> Result<Events> {
        // SAFETY: a live detector.
        Error::check(self.api, unsafe {
            (self.api.kws_detector_finish)(self.handle.as_ptr())
        })?;
        self.take_events()
    }

    /// Starts a new stream: positions restart at 0; events not yet returned are dropped.
    pub fn reset(&mut self) -> Result<()> {
        // SAFETY: a live detector.
        Error::check(self.api, unsafe {
            (self.api.kws_detector_reset)(self.handle.as_ptr())
        })
    }

    /// Samples pushed since creation or the latest reset, at the detector's rate.
    pub fn samples_pushed(&self) -> Result<i64> {
        let mut samples = 0i64;
        // SAFETY: a live detector and a valid out-pointer.
        Error::check(self.api, unsafe {
            (self.api.kws_detector_samples_pushed)(self.handle.as_ptr(), &mut samples)
        })?;
        Ok(samples)
    }

    /// The smoothed posteriors after the latest evaluation, one per label of the model (all 0
    /// before the first).
    pub fn scores(&self) -> Result<Vec<f32>> {
        let mut scores: *const f32 = std::ptr::null();
        let mut count = 0usize;
        // SAFETY: a live detector and valid out-pointers; the scores it points to are valid
        // until the next push/finish/reset, and copied before this returns.
        unsafe {
            Error::check(
                self.api,
                (self.api.kws_detector_scores)(self.handle.as_ptr(), &mut scores, &mut count),
            )?;
            Ok(std::slice::from_raw_parts(scores, count).to_vec())
        }
    }

    /// Every queued event (kws_detector_next until none is left).
    fn take_events(&mut self) -> Result<Events> {
        let mut events = Vec::new();
        loop {
            // SAFETY: kws_detection is plain data; all-zero is a valid value to be overwritten.
            let mut event: sys::kws_detection = unsafe { std::mem::zeroed() };
            event.size = std::mem::size_of::<sys::kws_detection>();
            let mut available = 0i32;
            // SAFETY: a live detector and valid out-pointers; event.size says how much to write.
            Error::check(self.api, unsafe {
                (self.api.kws_detector_next)(self.handle.as_ptr(), &mut event, &mut available)
            })?;
            if available == 0 {
                return Ok(Events {
                    events: events.into_iter(),
                });
            }
            // SAFETY: the label is a NUL-terminated string owned by the model, which the
            // detector keeps alive; it is copied here.
            let label = unsafe { CStr::from_ptr(event.label) }
                .to_string_lossy()
                .into_owned();
            events.push(Detection {
                label,
                label_index: event.label_index as usize, // an index into the labels: >= 0
                score: event.score,
                start_sample: event.start_sample,
                end_sample: event.end_sample,
                sample_rate: self.sample_rate,
            });
        }
    }
}

impl Drop for Detector {
    fn drop(&mut self) {
        // SAFETY: the handle is owned and freed exactly once, here.
        unsafe { (self.api.kws_detector_free)(self.handle.as_ptr()) }
    }
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Detector")
            .field("sample_rate", &self.sample_rate)
            .finish()
    }
}

/// One threshold per label index (negative: not set) from thresholds by name; empty when none
/// is given. A name the model lacks is an error listing the labels.
fn per_label_thresholds(model: &Model, by_label: &HashMap<String, f32>) -> Result<Vec<f32>> {
    if by_label.is_empty() {
        return Ok(Vec::new());
    }
    let mut unknown: Vec<&String> = by_label
        .keys()
        .filter(|label| !model.labels().contains(label))
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        return Err(Error::new(
            Status::InvalidArgument,
            format!(
                "thresholds for unknown labels {unknown:?}; the model's labels are {:?}",
                model.labels()
            ),
        ));
    }
    Ok(model
        .labels()
        .iter()
        .map(|label| by_label.get(label).copied().unwrap_or(-1.0))
        .collect())
}
