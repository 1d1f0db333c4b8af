//! Models, classification, audio files and errors through the public API.
mod common;

use common::{commands_model, repository_file};
use kws::{read_audio, read_audio_bytes, Model, Status};

#[test]
fn the_bundled_model_has_its_labels_and_rate() {
    let model = commands_model();
    assert_eq!(model.sample_rate(), 16000);
    assert_eq!(
        model.labels(),
        [
            "_silence_",
            "_unknown_",
            "down",
            "go",
            "left",
            "no",
            "off",
            "on",
            "right",
            "stop",
            "up",
            "yes"
        ]
    );
    assert!(format!("{model:?}").contains("sample_rate: 16000"));
}

#[test]
fn classify_hears_yes_in_the_bundled_clip_as_float_and_as_int16() {
    let model = commands_model();
    let audio = read_audio(repository_file("examples/data/yes_no_up_down.wav"), None).unwrap();
    assert_eq!(audio.sample_rate, 16000);
    assert_eq!(audio.samples.len(), 50698); // 3.17 s
    let result = model.classify(&audio.samples, audio.sample_rate).unwrap();
    assert_eq!(result.label, "yes");
    assert_eq!(model.labels()[result.label_index], "yes");
    assert_eq!(result.score, result.scores[result.label_index]);
    assert!(result.score > 0.9, "{result:?}");
    let sum: f32 = result.scores.iter().sum();
    assert!((sum - 1.0).abs() < 1e-4, "posteriors sum to {sum}");

    let pcm: Vec<i16> = audio
        .samples
        .iter()
        .map(|&value| (value * 32768.0).round().clamp(-32768.0, 32767.0) as i16)
        .collect();
    let from_int16 = model.classify(&pcm, audio.sample_rate).unwrap();
    assert_eq!(from_int16.label, "yes");
    assert!((from_int16.score - result.score).abs() < 1e-3);
}

#[test]
fn audio_is_resampled_on_request_and_read_from_memory() {
    let path = repository_file("examples/data/yes_no_up_down.wav");
    let at_8k = read_audio(&path, Some(8000)).unwrap();
    assert_eq!(at_8k.sample_rate, 8000);
    assert_eq!(at_8k.samples.len(), 25349); // half of 50698
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        read_audio_bytes(&bytes, None).unwrap(),
        read_audio(&path, None).unwrap()
    );
}

#[test]
fn a_model_loads_from_bytes_too() {
    let bytes = std::fs::read(repository_file("examples/models/commands_en.kws")).unwrap();
    let model = Model::from_bytes(&bytes).unwrap();
    drop(bytes);
    assert_eq!(model.labels(), commands_model().labels());
}

#[test]
fn a_missing_model_file_is_an_io_error_with_libkws_message() {
    let error = Model::load("/nonexistent/model.kws").unwrap_err();
    assert_eq!(error.status(), Status::Io);
    assert_eq!(error.status().code(), 2);
    assert_eq!(
        error.message(),
        "kws_model_load: /nonexistent/model.kws: cannot open: No such file or directory"
    );
    assert_eq!(error.to_string(), error.message());
    let _: &dyn std::error::Error = &error;
}

#[test]
fn corrupt_model_bytes_are_corrupt_data() {
    let error = Model::from_bytes(b"garbage").unwrap_err();
    assert_eq!(error.status(), Status::CorruptData);
    assert!(
        error.message().starts_with("kws_model_load_memory: "),
        "{error}"
    );
    let error = Model::load(repository_file("examples/data/yes_no_up_down.wav")).unwrap_err();
    assert!(
        matches!(
            error.status(),
            Status::CorruptData | Status::UnsupportedFormat
        ),
        "{error:?}"
    );
}

#[test]
fn bad_arguments_are_invalid_argument_errors_that_say_why() {
    let model = commands_model();
    let error = model.classify::<f32>(&[], 16000).unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    assert!(error.message().contains("count is 0"), "{error}");
    let error = model.classify(&[0.0f32; 100], 0).unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    assert!(error.message().contains("sample_rate"), "{error}");
    // A rate no int32_t holds is refused before the call (it would wrap to a valid one).
    let error = model.classify(&[0.0f32; 100], u32::MAX).unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    assert!(error.message().contains("4294967295"), "{error}");
    let error = Model::load("bad\0name.kws").unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    assert!(error.message().contains("NUL"), "{error}");
}

#[test]
fn unreadable_audio_names_the_file() {
    let error = read_audio("/nonexistent.wav", None).unwrap_err();
    assert_eq!(error.status(), Status::Io);
    assert!(
        error
            .message()
            .starts_with("kws_audio_read: /nonexistent.wav"),
        "{error}"
    );
    let error = read_audio_bytes(b"not audio", None).unwrap_err();
    assert!(
        error.message().starts_with("kws_audio_read_memory"),
        "{error}"
    );
    let error = read_audio(
        repository_file("examples/data/yes_no_up_down.wav"),
        Some(10),
    )
    .unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
}

#[test]
fn the_loaded_library_is_reported() {
    let path = kws::library_path().unwrap();
    assert!(path.exists(), "{}", path.display());
    assert!(path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("libkws.so"));
    let version = kws::version().unwrap();
    assert_eq!(version.split('.').count(), 3, "{version}");
}
