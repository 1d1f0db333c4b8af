//! kws.h in Rust: its types, mirrored by hand, and every one of its functions, resolved by name
//! from the library that `library.rs` loads. Names are kws.h's own, so that each item can be
//! found in the header; the tests below check the mirrors against a C compiler's layout of it.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_int, c_void};

/// kws_status: a C enum, int-sized (checked by the layout test).
pub type kws_status = c_int;
/// kws_backend: a C enum, int-sized.
pub type kws_backend = c_int;
/// KWS_OK.
pub const KWS_OK: kws_status = 0;

/// Opaque handles: only ever behind pointers.
#[repr(C)]
pub struct kws_model {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct kws_classifier {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct kws_detector {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct kws_event_policy {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct kws_spotter {
    _opaque: [u8; 0],
}

pub type kws_detection_callback = unsafe extern "C" fn(*const kws_detection, *mut c_void);
pub type kws_evaluation_callback = unsafe extern "C" fn(*const kws_evaluation, *mut c_void);

/// Defines `#[repr(C)]` mirrors of kws.h structs and, for the layout test, each one's name and
/// the offset and size of every field as Rust lays them out.
macro_rules! mirror_structs {
    ($(struct $name:ident { $($field:ident: $type:ty,)* })*) => {
        $(
            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct $name { $(pub $field: $type,)* }
        )*

        /// (struct name, sizeof, alignof, [(field, offsetof, sizeof)]) of every mirror.
        #[cfg(test)]
        pub fn mirror_layouts() -> Vec<(&'static str, usize, usize, Vec<(&'static str, usize, usize)>)> {
            fn pointee_size<T>(_: *const T) -> usize {
                std::mem::size_of::<T>()
            }
            vec![$({
                let value = std::mem::MaybeUninit::<$name>::uninit();
                let base = value.as_ptr();
                let fields = vec![$({
                    // SAFETY: addr_of! only computes the field's address; nothing is read.
                    let field = unsafe { std::ptr::addr_of!((*base).$field) };
                    (stringify!($field), field as usize - base as usize, pointee_size(field))
                }),*];
                (stringify!($name), std::mem::size_of::<$name>(), std::mem::align_of::<$name>(), fields)
            }),*]
        }
    };
}

mirror_structs! {
    struct kws_classify_params {
        size: usize,
        backend: kws_backend,
        stride_seconds: f32,
    }
    struct kws_detection {
        size: usize,
        label_index: i32,
        label: *const c_char,
        score: f32,
        start_sample: i64,
        end_sample: i64,
    }
    struct kws_evaluation {
        size: usize,
        index: i64,
        frame: i64,
        start_sample: i64,
        end_sample: i64,
        scores: *const f32,
        scores_count: usize,
        fired_label: i32,
    }
    struct kws_detector_params {
        size: usize,
        sample_rate: i32,
        window_seconds: f32,
        stride_seconds: f32,
        smoothing_seconds: f32,
        sensitivity: f32,
        refractory_seconds: f32,
        default_threshold: f32,
        min_consecutive: i32,
        backend: kws_backend,
        thresholds: *const f32,
        thresholds_count: usize,
        callback: Option<kws_detection_callback>,
        user_data: *mut c_void,
        evaluation_callback: Option<kws_evaluation_callback>,
        evaluation_user_data: *mut c_void,
    }
    struct kws_keyword {
        size: usize,
        text: *const c_char,
        phonemes: *const c_char,
        name: *const c_char,
        threshold: f32,
        boost: f32,
    }
    struct kws_spotter_params {
        size: usize,
        sample_rate: i32,
        window_frames: i32,
        default_threshold: f32,
        refractory_seconds: f32,
        peak_seconds: f32,
        backend: kws_backend,
        callback: Option<kws_detection_callback>,
        user_data: *mut c_void,
    }
}

extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}

/// Declares `Api`, a table of every kws.h function, and `Api::resolve`, which fills it from a
/// dlopen()ed library.
macro_rules! declare_functions {
    ($($name:ident: fn($($argument:ty),* $(,)?) $(-> $result:ty)?;)*) => {
        /// The C API of one loaded library.
        // Every function of kws.h is declared (the test below checks that none is missing); the
        // safe API calls only some of them.
        #[allow(dead_code)]
        pub struct Api {
            $(pub $name: unsafe extern "C" fn($($argument),*) $(-> $result)?,)*
        }

        /// The names `Api` declares, for the test that compares them with kws.h.
        #[cfg(test)]
        pub const FUNCTION_NAMES: &[&str] = &[$(stringify!($name)),*];

        impl Api {
            /// Looks every function up in `library` (a dlopen() handle); Err names the first one
            /// it lacks.
            ///
            /// # Safety
            /// `library` must be a live dlopen() handle of a libkws whose functions have kws.h's
            /// prototypes (the ABI major, checked by the caller, promises that).
            pub unsafe fn resolve(library: *mut c_void) -> Result<Api, &'static str> {
                Ok(Api {
                    $($name: {
                        let symbol = dlsym(library, concat!(stringify!($name), "\0").as_ptr().cast());
                        if symbol.is_null() {
                            return Err(stringify!($name));
                        }
                        std::mem::transmute::<*mut c_void, unsafe extern "C" fn($($argument),*) $(-> $result)?>(symbol)
                    },)*
                })
            }
        }
    };
}

declare_functions! {
    kws_status_string: fn(kws_status) -> *const c_char;
    kws_last_error: fn() -> *const c_char;
    kws_version_number: fn() -> u32;
    kws_version_string: fn() -> *const c_char;
    kws_build_info: fn() -> *const c_char;
    kws_backend_available: fn(kws_backend) -> c_int;

    kws_model_load: fn(*const c_char, *mut *mut kws_model) -> kws_status;
    kws_model_load_memory: fn(*const c_void, usize, *mut *mut kws_model) -> kws_status;
    kws_model_free: fn(*mut kws_model);
    kws_model_num_labels: fn(*const kws_model, *mut usize) -> kws_status;
    kws_model_label: fn(*const kws_model, usize, *mut *const c_char) -> kws_status;
    kws_model_sample_rate: fn(*const kws_model, *mut i32) -> kws_status;
    kws_model_feature_bins: fn(*const kws_model, *mut i32) -> kws_status;
    kws_model_input_frames: fn(*const kws_model, *mut i32) -> kws_status;
    kws_model_feature_config: fn(*const kws_model, *mut *const c_char) -> kws_status;
    kws_model_threshold: fn(*const kws_model, usize, *mut f32) -> kws_status;

    kws_features: fn(*const kws_model, *const f32, usize, i32, *mut f32, usize, *mut usize, *mut usize) -> kws_status;
    kws_classify_params_init: fn(*mut kws_classify_params);
    kws_classify: fn(*const kws_model, *const f32, usize, i32, *const kws_classify_params, *mut f32, usize, *mut i32) -> kws_status;
    kws_classify_s16: fn(*const kws_model, *const i16, usize, i32, *const kws_classify_params, *mut f32, usize, *mut i32) -> kws_status;

    kws_classifier_create: fn(*const kws_model, *const kws_classify_params, *mut *mut kws_classifier) -> kws_status;
    kws_classifier_free: fn(*mut kws_classifier);
    kws_classifier_run: fn(*mut kws_classifier, *const f32, usize, i32, *mut f32, usize, *mut i32) -> kws_status;
    kws_classifier_run_s16: fn(*mut kws_classifier, *const i16, usize, i32, *mut f32, usize, *mut i32) -> kws_status;

    kws_detector_params_init: fn(*mut kws_detector_params);
    kws_detector_create: fn(*const kws_model, *const kws_detector_params, *mut *mut kws_detector) -> kws_status;
    kws_detector_free: fn(*mut kws_detector);
    kws_detector_push: fn(*mut kws_detector, *const f32, usize) -> kws_status;
    kws_detector_push_s16: fn(*mut kws_detector, *const i16, usize) -> kws_status;
    kws_detector_finish: fn(*mut kws_detector) -> kws_status;
    kws_detector_reset: fn(*mut kws_detector) -> kws_status;
    kws_detector_pending: fn(*const kws_detector, *mut usize) -> kws_status;
    kws_detector_next: fn(*mut kws_detector, *mut kws_detection, *mut i32) -> kws_status;
    kws_detector_scores: fn(*const kws_detector, *mut *const f32, *mut usize) -> kws_status;
    kws_detector_sample_rate: fn(*const kws_detector, *mut i32) -> kws_status;
    kws_detector_evaluations: fn(*const kws_detector, *mut i64) -> kws_status;
    kws_detector_samples_pushed: fn(*const kws_detector, *mut i64) -> kws_status;

    kws_event_policy_create: fn(*const kws_model, *const kws_detector_params, *mut *mut kws_event_policy) -> kws_status;
    kws_event_policy_free: fn(*mut kws_event_policy);
    kws_event_policy_reset: fn(*mut kws_event_policy) -> kws_status;
    kws_event_policy_run: fn(*mut kws_event_policy, *const f32, usize, *const i64, usize, *mut i32) -> kws_status;
    kws_event_policy_thresholds: fn(*const kws_event_policy, *mut *const f32, *mut usize) -> kws_status;

    kws_model_is_ctc: fn(*const kws_model, *mut i32) -> kws_status;
    kws_keyword_init: fn(*mut kws_keyword);
    kws_spotter_params_init: fn(*mut kws_spotter_params);
    kws_spotter_create: fn(*const kws_model, *const kws_keyword, usize, *const kws_spotter_params, *mut *mut kws_spotter) -> kws_status;
    kws_spotter_free: fn(*mut kws_spotter);
    kws_spotter_push: fn(*mut kws_spotter, *const f32, usize) -> kws_status;
    kws_spotter_push_s16: fn(*mut kws_spotter, *const i16, usize) -> kws_status;
    kws_spotter_finish: fn(*mut kws_spotter) -> kws_status;
    kws_spotter_reset: fn(*mut kws_spotter) -> kws_status;
    kws_spotter_pending: fn(*const kws_spotter, *mut usize) -> kws_status;
    kws_spotter_next: fn(*mut kws_spotter, *mut kws_detection, *mut i32) -> kws_status;
    kws_spotter_num_keywords: fn(*const kws_spotter, *mut usize) -> kws_status;
    kws_spotter_keyword: fn(*const kws_spotter, usize, *mut *const c_char, *mut *const c_char) -> kws_status;
    kws_spotter_samples_pushed: fn(*const kws_spotter, *mut i64) -> kws_status;
    kws_transcribe: fn(*const kws_model, *const f32, usize, i32, *const kws_spotter_params, *mut c_char, usize, *mut usize) -> kws_status;

    kws_audio_read: fn(*const c_char, i32, *mut *mut f32, *mut usize, *mut i32) -> kws_status;
    kws_audio_read_memory: fn(*const c_void, usize, i32, *mut *mut f32, *mut usize, *mut i32) -> kws_status;
    kws_audio_free: fn(*mut f32);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c_probe;
    use crate::Status;
    use std::collections::HashMap;

    /// sizeof/alignof/offsetof of every mirrored field, and the enum values, as the C compiler
    /// lays out kws.h: "what kind value" per line.
    fn c_layout() -> HashMap<String, usize> {
        let mut source = String::from(
            "#include <stdio.h>\n#include <stddef.h>\n#include \"kws.h\"\nint main(void) {\n",
        );
        for (name, _, _, fields) in mirror_layouts() {
            source += &format!("  printf(\"{name} sizeof %zu\\n\", sizeof({name}));\n");
            source += &format!("  printf(\"{name} alignof %zu\\n\", offsetof(struct {{ char c; {name} x; }}, x));\n");
            for (field, _, _) in fields {
                source += &format!(
                    "  printf(\"{name}.{field} offsetof %zu\\n\", offsetof({name}, {field}));\n"
                );
                source += &format!(
                    "  printf(\"{name}.{field} sizeof %zu\\n\", sizeof((({name}*)0)->{field}));\n"
                );
            }
        }
        for name in [
            "kws_status",
            "kws_backend",
            "kws_detection_callback",
            "kws_evaluation_callback",
        ] {
            source += &format!("  printf(\"{name} sizeof %zu\\n\", sizeof({name}));\n");
        }
        source += "  printf(\"KWS_OK value %d\\n\", (int)KWS_OK);\n";
        for status in Status::ALL {
            source += &format!(
                "  printf(\"{} value %d\\n\", (int){});\n",
                status.c_name(),
                status.c_name()
            );
        }
        source += "  return 0;\n}\n";
        let output = c_probe::CProgram::compile("layout", &source, None).run(&[]);
        output
            .lines()
            .map(|line| {
                let (what, value) = line.rsplit_once(' ').expect("probe line");
                (what.to_string(), value.parse().expect("probe value"))
            })
            .collect()
    }

    #[test]
    fn struct_mirrors_match_the_c_layout_of_kws_h() {
        let c = c_layout();
        let get = |key: String| {
            *c.get(&key)
                .unwrap_or_else(|| panic!("{key} not printed by the probe"))
        };
        for (name, size, align, fields) in mirror_layouts() {
            assert_eq!(size, get(format!("{name} sizeof")), "sizeof({name})");
            assert_eq!(align, get(format!("{name} alignof")), "alignof({name})");
            for (field, offset, field_size) in fields {
                assert_eq!(
                    offset,
                    get(format!("{name}.{field} offsetof")),
                    "offsetof({name}, {field})"
                );
                assert_eq!(
                    field_size,
                    get(format!("{name}.{field} sizeof")),
                    "sizeof({name}.{field})"
                );
            }
        }
        let int = std::mem::size_of::<c_int>();
        assert_eq!(int, get("kws_status sizeof".into()));
        assert_eq!(int, get("kws_backend sizeof".into()));
        let callback = std::mem::size_of::<Option<kws_detection_callback>>();
        assert_eq!(callback, get("kws_detection_callback sizeof".into()));
        assert_eq!(callback, get("kws_evaluation_callback sizeof".into()));
        assert_eq!(KWS_OK as usize, get("KWS_OK value".into()));
        for status in Status::ALL {
            assert_eq!(
                status.code() as usize,
                get(format!("{} value", status.c_name())),
                "{status:?}"
            );
        }
    }

    /// The field names of `typedef struct NAME { ... } NAME;` in kws.h, in order.
    fn header_fields(header: &str, name: &str) -> Vec<String> {
        let start = header
            .find(&format!("typedef struct {name} {{"))
            .unwrap_or_else(|| panic!("struct {name} not found in kws.h"));
        let body = &header[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find(&format!("}} {name};")).unwrap()];
        let mut code = String::new();
        let mut rest = body;
        while let Some(open) = rest.find("/*") {
            code += &rest[..open];
            rest = &rest[open + rest[open..].find("*/").expect("unterminated comment") + 2..];
        }
        code += rest;
        code.split(';')
            .filter_map(|declaration| {
                declaration
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .rfind(|word| !word.is_empty())
            })
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn every_struct_field_and_function_of_kws_h_is_declared() {
        let header =
            std::fs::read_to_string(c_probe::repository().join("capi/kws.h")).expect("capi/kws.h");
        for (name, _, _, fields) in mirror_layouts() {
            let mirrored: Vec<&str> = fields.iter().map(|(field, _, _)| *field).collect();
            assert_eq!(mirrored, header_fields(&header, name), "fields of {name}");
        }
        let mut in_header: Vec<&str> = header
            .split("KWS_API ")
            .skip(1)
            .filter_map(|declaration| {
                let name_end = declaration.find('(')?;
                declaration[..name_end].rsplit([' ', '*']).next()
            })
            .filter(|name| name.starts_with("kws_"))
            .collect();
        let mut declared = FUNCTION_NAMES.to_vec();
        in_header.sort_unstable();
        declared.sort_unstable();
        assert!(
            in_header.len() > 40,
            "too few functions found in kws.h: {in_header:?}"
        );
        assert_eq!(declared, in_header);
    }
}
