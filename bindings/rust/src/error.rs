//! Errors: every failure is an [`Error`] carrying the C API's status and a message.
use std::ffi::CStr;
use std::fmt;

use crate::sys;

/// Why a call failed: the `kws_status` values of kws.h (pinned: they never change between
/// releases; the tests check each against the header), without `KWS_OK`, which is not a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(i32)]
pub enum Status {
    /// A value out of range or inconsistent (`KWS_ERROR_INVALID_ARGUMENT`); this binding also
    /// reports its own argument checks with it (a path holding a NUL byte, an unknown label).
    InvalidArgument = 1,
    /// A file could not be opened or read (`KWS_ERROR_IO`); also a libkws shared library that
    /// could not be loaded from any of the places searched.
    Io = 2,
    /// Well-formed input libkws does not handle (`KWS_ERROR_UNSUPPORTED_FORMAT`); also a loaded
    /// library of another ABI major.
    UnsupportedFormat = 3,
    /// A malformed model or audio file (`KWS_ERROR_CORRUPT_DATA`).
    CorruptData = 4,
    /// `KWS_ERROR_OUT_OF_MEMORY`.
    OutOfMemory = 5,
    /// A bug in libkws (`KWS_ERROR_INTERNAL`): please report it with the message. A status this
    /// binding does not know (from a newer libkws) is reported as this too.
    Internal = 6,
    /// An output buffer is smaller than the result (`KWS_ERROR_BUFFER_TOO_SMALL`).
    BufferTooSmall = 7,
}

impl Status {
    pub(crate) const ALL: [Status; 7] = [
        Status::InvalidArgument,
        Status::Io,
        Status::UnsupportedFormat,
        Status::CorruptData,
        Status::OutOfMemory,
        Status::Internal,
        Status::BufferTooSmall,
    ];

    /// The `kws_status` value.
    pub fn code(self) -> i32 {
        self as i32
    }

    fn from_code(code: sys::kws_status) -> Status {
        Status::ALL
            .iter()
            .copied()
            .find(|status| status.code() == code)
            .unwrap_or(Status::Internal)
    }

    /// The kws.h name: `Io` is `KWS_ERROR_IO`, `CorruptData` `KWS_ERROR_CORRUPT_DATA`.
    #[cfg(test)]
    pub(crate) fn c_name(self) -> String {
        let mut name = String::from("KWS_ERROR");
        for character in format!("{self:?}").chars() {
            if character.is_uppercase() {
                name.push('_');
            }
            name.push(character.to_ascii_uppercase());
        }
        name
    }
}

/// A failed call: the status and libkws's own message (`kws_last_error()`), which names the
/// function and the reason, e.g. `kws_model_load: x.kws: cannot open: No such file or directory`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
}

impl Error {
    /// Why it failed.
    pub fn status(&self) -> Status {
        self.status
    }

    /// What failed and why, in words.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// An error of this binding's own (not reported by libkws).
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Error {
        Error {
            status,
            message: message.into(),
        }
    }

    /// Ok for `KWS_OK`, else the error with the calling thread's `kws_last_error()`. Call it
    /// right after the failed call, on the same thread: the message is thread-local and the next
    /// libkws call replaces it.
    pub(crate) fn check(api: &sys::Api, status: sys::kws_status) -> Result<()> {
        if status == sys::KWS_OK {
            return Ok(());
        }
        // SAFETY: both return static or thread-local NUL-terminated strings, never NULL.
        let message = unsafe {
            let last = CStr::from_ptr((api.kws_last_error)());
            if last.to_bytes().is_empty() {
                CStr::from_ptr((api.kws_status_string)(status))
            } else {
                last
            }
        };
        Err(Error::new(
            Status::from_code(status),
            message.to_string_lossy(),
        ))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The result of every fallible call of this crate.
pub type Result<T> = std::result::Result<T, Error>;
