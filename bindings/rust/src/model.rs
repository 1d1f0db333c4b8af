//! Models and whole-clip classification.
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::NonNull;

use crate::error::{Error, Result, Status};
use crate::library::api;
use crate::sample::{sample_rate_argument, Sample};
use crate::sys;

/// A loaded, validated libkws model (`.kws`): immutable, so one model is shared by any number of
/// threads (it is `Send + Sync`; wrap it in an `Arc`). Dropping it frees the caller's reference;
/// detectors made from it keep their own and go on working.
pub struct Model {
    handle: NonNull<sys::kws_model>,
    api: &'static sys::Api,
    labels: Vec<String>,
    sample_rate: u32,
}

// SAFETY: kws.h: "an immutable trained model ... share it read-only between any number of
// threads"; every kws_model function takes it as const, and freeing it is reference-counted.
unsafe impl Send for Model {}
// SAFETY: as above: concurrent calls on one model are what the C API promises.
unsafe impl Sync for Model {}

/// The posteriors of one clip.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// The most probable label.
    pub label: String,
    /// Its index in [`Model::labels`].
    pub label_index: usize,
    /// Its probability.
    pub score: f32,
    /// One probability per label of [`Model::labels`], in that order (they sum to 1).
    pub scores: Vec<f32>,
}

impl Model {
    /// Loads and fully validates a model file; a corrupt or hostile file is an error
    /// ([`Status::CorruptData`] or [`Status::UnsupportedFormat`]), never a crash.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = path.as_ref();
        let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| {
            Error::new(
                Status::InvalidArgument,
                format!("model path {path:?} holds a NUL byte"),
            )
        })?;
        let api = api()?;
        let mut handle = std::ptr::null_mut();
        // SAFETY: a NUL-terminated path and a valid out-pointer.
        Error::check(api, unsafe {
            (api.kws_model_load)(c_path.as_ptr(), &mut handle)
        })?;
        Model::from_handle(api, handle)
    }

    /// The same from a complete model file in memory (copied: `data` may be dropped after).
    pub fn from_bytes(data: &[u8]) -> Result<Model> {
        let api = api()?;
        let mut handle = std::ptr::null_mut();
        // SAFETY: `data` is readable for its length; a valid out-pointer.
        Error::check(api, unsafe {
            (api.kws_model_load_memory)(data.as_ptr().cast(), data.len(), &mut handle)
        })?;
        Model::from_handle(api, handle)
    }

    /// Takes ownership of a freshly loaded handle and reads what every caller needs of it.
    fn from_handle(api: &'static sys::Api, handle: *mut sys::kws_model) -> Result<Model> {
        let handle = NonNull::new(handle)
            .ok_or_else(|| Error::new(Status::Internal, "kws_model_load gave no model"))?;
        // Owned from here: an error below drops (frees) it.
        let mut model = Model {
            handle,
            api,
            labels: Vec::new(),
            sample_rate: 0,
        };
        let mut count = 0usize;
        // SAFETY (this block): a live model handle and valid out-pointers; labels are
        // NUL-terminated strings owned by the model, copied before it can be freed.
        unsafe {
            Error::check(api, (api.kws_model_num_labels)(model.raw(), &mut count))?;
            for index in 0..count {
                let mut label: *const c_char = std::ptr::null();
                Error::check(api, (api.kws_model_label)(model.raw(), index, &mut label))?;
                model
                    .labels
                    .push(CStr::from_ptr(label).to_string_lossy().into_owned());
            }
            let mut rate = 0i32;
            Error::check(api, (api.kws_model_sample_rate)(model.raw(), &mut rate))?;
            model.sample_rate = rate as u32; // the loader accepts only KWS_MIN..MAX_SAMPLE_RATE
        }
        Ok(model)
    }

    pub(crate) fn raw(&self) -> *const sys::kws_model {
        self.handle.as_ptr()
    }

    /// The output classes, in index order (labels starting with `_`, such as `_silence_`, never
    /// fire in a detector).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The sample rate (Hz) the model's features are computed at; audio at any other rate is
    /// resampled inside.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Classifies one clip (`f32` in [-1, 1] or `i16`, at `sample_rate` Hz). A clip shorter than
    /// the model's window is zero-padded; a longer one is scanned and the window most likely to
    /// hold a keyword is reported. Safe to call from many threads on one model.
    pub fn classify<S: Sample>(&self, samples: &[S], sample_rate: u32) -> Result<Classification> {
        let rate = sample_rate_argument(sample_rate)?;
        let mut scores = vec![0.0f32; self.labels.len()];
        let mut best = -1i32;
        // SAFETY: `samples` and `scores` are valid for their lengths; NULL params are the
        // defaults.
        let status = unsafe {
            S::classify(
                self.api,
                self.raw(),
                samples.as_ptr(),
                samples.len(),
                rate,
                scores.as_mut_ptr(),
                scores.len(),
                &mut best,
            )
        };
        Error::check(self.api, status)?;
        let label_index = usize::try_from(best)
            .ok()
            .filter(|&index| index < self.labels.len())
            .ok_or_else(|| {
                Error::new(
                    Status::Internal,
                    format!("kws_classify gave label index {best}"),
                )
            })?;
        Ok(Classification {
            label: self.labels[label_index].clone(),
            label_index,
            score: scores[label_index],
            scores,
        })
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: the handle is owned and freed exactly once, here.
        unsafe { (self.api.kws_model_free)(self.handle.as_ptr()) }
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Model")
            .field("labels", &self.labels)
            .field("sample_rate", &self.sample_rate)
            .finish()
    }
}
