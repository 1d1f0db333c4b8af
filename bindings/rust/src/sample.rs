//! The PCM sample types libkws takes, and the C function each one goes to.
use crate::error::{Error, Result, Status};

/// A PCM sample libkws reads: `f32` in [-1, 1] (NaN and infinities count as silence) or `i16`.
/// Sealed: the C API has entry points for these two only.
pub trait Sample: sealed::Entry {}

impl Sample for f32 {}
impl Sample for i16 {}

pub(crate) mod sealed {
    use crate::sys;

    /// The kws.h functions for one sample type (`kws_classify` or `kws_classify_s16`, ...).
    pub trait Entry: Copy + Sized {
        /// # Safety
        /// As the C function: live handle, buffers valid for their counts.
        #[allow(clippy::too_many_arguments)] // kws_classify's own
        unsafe fn classify(
            api: &sys::Api,
            model: *const sys::kws_model,
            samples: *const Self,
            count: usize,
            sample_rate: i32,
            scores: *mut f32,
            capacity: usize,
            best: *mut i32,
        ) -> sys::kws_status;
        /// # Safety
        /// As the C function.
        unsafe fn push(
            api: &sys::Api,
            detector: *mut sys::kws_detector,
            samples: *const Self,
            count: usize,
        ) -> sys::kws_status;
    }

    impl Entry for f32 {
        unsafe fn classify(
            api: &sys::Api,
            model: *const sys::kws_model,
            samples: *const f32,
            count: usize,
            sample_rate: i32,
            scores: *mut f32,
            capacity: usize,
            best: *mut i32,
        ) -> sys::kws_status {
            (api.kws_classify)(
                model,
                samples,
                count,
                sample_rate,
                std::ptr::null(),
                scores,
                capacity,
                best,
            )
        }
        unsafe fn push(
            api: &sys::Api,
            detector: *mut sys::kws_detector,
            samples: *const f32,
            count: usize,
        ) -> sys::kws_status {
            (api.kws_detector_push)(detector, samples, count)
        }
    }

    impl Entry for i16 {
        unsafe fn classify(
            api: &sys::Api,
            model: *const sys::kws_model,
            samples: *const i16,
            count: usize,
            sample_rate: i32,
            scores: *mut f32,
            capacity: usize,
            best: *mut i32,
        ) -> sys::kws_status {
            (api.kws_classify_s16)(
                model,
                samples,
                count,
                sample_rate,
                std::ptr::null(),
                scores,
                capacity,
                best,
            )
        }
        unsafe fn push(
            api: &sys::Api,
            detector: *mut sys::kws_detector,
            samples: *const i16,
            count: usize,
        ) -> sys::kws_status {
            (api.kws_detector_push_s16)(detector, samples, count)
        }
    }
}

/// A rate for the C API (int32_t): libkws checks the range it accepts (KWS_MIN_SAMPLE_RATE to
/// KWS_MAX_SAMPLE_RATE) and says so; only a rate no int32_t can hold is refused here.
pub(crate) fn sample_rate_argument(sample_rate: u32) -> Result<i32> {
    i32::try_from(sample_rate).map_err(|_| {
        Error::new(
            Status::InvalidArgument,
            format!("sample_rate {sample_rate} Hz is out of range"),
        )
    })
}
