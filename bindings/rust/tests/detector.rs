//! The streaming detector through the public API: events, chunking, options, lifetime.
mod common;

use std::collections::HashMap;

use common::{commands_model, events_of, stream_commands, Lcg};
use kws::{Detector, DetectorOptions, Status};

#[test]
fn stream_commands_gives_the_spoken_keywords_in_order() {
    let model = commands_model();
    let audio = stream_commands();
    let options = DetectorOptions {
        sample_rate: Some(audio.sample_rate),
        ..Default::default()
    };
    let events = events_of(&model, &options, &audio.samples);
    let labels: Vec<&str> = events.iter().map(|event| event.label.as_str()).collect();
    assert_eq!(labels, ["go", "stop", "yes", "on"]);
    for pair in events.windows(2) {
        assert!(pair[1].start_sample > pair[0].start_sample);
    }
    for event in &events {
        assert_eq!(model.labels()[event.label_index], event.label);
        assert!(event.score > 0.5 && event.score <= 1.0, "{event:?}");
        assert!(event.end_sample > event.start_sample);
        assert_eq!(event.end_seconds(), event.end_sample as f64 / 16000.0);
    }
    assert!(
        (events[0].start_seconds() - 0.98).abs() < 0.01,
        "{:?}",
        events[0]
    );
}

#[test]
fn the_same_audio_gives_the_same_events_however_it_is_chunked() {
    let model = commands_model();
    let audio = stream_commands();
    let options = DetectorOptions::default();
    let whole = events_of(&model, &options, &audio.samples);
    assert!(!whole.is_empty());
    for (seed, largest) in [(1u64, 4000usize), (2, 4000), (3, 7)] {
        let mut sizes = Lcg(seed);
        let mut detector = Detector::new(&model, &options).unwrap();
        let mut events = Vec::new();
        let mut at = 0;
        while at < audio.samples.len() {
            let size = ((sizes.next_fraction() * (largest + 1) as f64) as usize)
                .min(audio.samples.len() - at);
            events.extend(detector.push(&audio.samples[at..at + size]).unwrap());
            at += size;
        }
        events.extend(detector.finish().unwrap());
        assert_eq!(
            detector.samples_pushed().unwrap(),
            audio.samples.len() as i64
        );
        assert_eq!(events, whole, "seed {seed}, chunks up to {largest}");
    }
}

#[test]
fn int16_input_gives_the_events_of_the_same_audio_as_float() {
    let model = commands_model();
    let audio = stream_commands();
    let pcm: Vec<i16> = audio
        .samples
        .iter()
        .map(|&value| (value * 32767.0).round() as i16)
        .collect();
    let as_float: Vec<f32> = pcm
        .iter()
        .map(|&value| f32::from(value) / 32768.0)
        .collect();
    let options = DetectorOptions::default();
    let expected = events_of(&model, &options, &as_float);
    assert!(!expected.is_empty());
    assert_eq!(events_of(&model, &options, &pcm), expected);
}

#[test]
fn a_detector_at_8_khz_counts_positions_at_8_khz() {
    let model = commands_model();
    let audio = kws::read_audio(
        common::repository_file("examples/data/stream_commands.wav"),
        Some(8000),
    )
    .unwrap();
    let options = DetectorOptions {
        sample_rate: Some(8000),
        ..Default::default()
    };
    let detector = Detector::new(&model, &options).unwrap();
    assert_eq!(detector.sample_rate(), 8000);
    let events = events_of(&model, &options, &audio.samples);
    assert!(!events.is_empty());
    for event in &events {
        assert_eq!(event.sample_rate, 8000);
        assert!(event.end_sample <= audio.samples.len() as i64 + 8000);
    }
}

#[test]
fn options_reach_the_library() {
    let model = commands_model();
    let audio = stream_commands();
    // Only "yes" may fire, and at any score (the others' thresholds, the model's own included,
    // replaced by 1).
    let thresholds: HashMap<String, f32> = model
        .labels()
        .iter()
        .map(|label| (label.clone(), if label == "yes" { 0.0 } else { 1.0 }))
        .collect();
    let only_yes = DetectorOptions {
        thresholds,
        ..Default::default()
    };
    let events = events_of(&model, &only_yes, &audio.samples);
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|event| event.label == "yes"),
        "{events:?}"
    );
    // sensitivity 0: every effective threshold is t^0 = 1, nothing fires.
    let deaf = DetectorOptions {
        sensitivity: Some(0.0),
        ..Default::default()
    };
    assert_eq!(events_of(&model, &deaf, &audio.samples), []);
    // A lower threshold and no refractory period fire at least as often.
    let eager = DetectorOptions {
        default_threshold: Some(0.2),
        refractory_seconds: Some(0.0),
        min_consecutive: Some(1),
        ..Default::default()
    };
    assert!(events_of(&model, &eager, &audio.samples).len() > 4);
}

#[test]
fn bad_options_are_errors_that_say_why() {
    let model = commands_model();
    let thresholds = HashMap::from([("maybe".to_string(), 0.5)]);
    let error = Detector::new(
        &model,
        &DetectorOptions {
            thresholds,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    assert!(
        error.message().contains("\"maybe\"") && error.message().contains("\"yes\""),
        "{error}"
    );
    let error = Detector::new(
        &model,
        &DetectorOptions {
            stride_seconds: Some(-1.0),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    assert!(
        error.message().starts_with("kws_detector_create: "),
        "{error}"
    );
    let error = Detector::new(
        &model,
        &DetectorOptions {
            sample_rate: Some(10),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    let error = Detector::new(
        &model,
        &DetectorOptions {
            min_consecutive: Some(u32::MAX),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(error.message().contains("min_consecutive"), "{error}");
}

#[test]
fn scores_reset_and_samples_pushed() {
    let model = commands_model();
    let audio = stream_commands();
    let mut detector = Detector::new(&model, &DetectorOptions::default()).unwrap();
    assert_eq!(detector.samples_pushed().unwrap(), 0);
    assert_eq!(detector.scores().unwrap(), vec![0.0; model.labels().len()]);
    let first: Vec<_> = detector.push(&audio.samples[..48000]).unwrap().collect();
    let sum: f32 = detector.scores().unwrap().iter().sum();
    assert!((sum - 1.0).abs() < 1e-3, "smoothed posteriors sum to {sum}");
    assert_eq!(detector.samples_pushed().unwrap(), 48000);
    detector.reset().unwrap();
    assert_eq!(detector.samples_pushed().unwrap(), 0);
    assert_eq!(
        detector
            .push(&audio.samples[..48000])
            .unwrap()
            .collect::<Vec<_>>(),
        first,
        "a reset stream starts over"
    );
    assert_eq!(detector.push::<f32>(&[]).unwrap().len(), 0);
}

#[test]
fn pushing_after_finish_is_an_error_until_reset() {
    let model = commands_model();
    let mut detector = Detector::new(&model, &DetectorOptions::default()).unwrap();
    detector.push(&[0.0f32; 1600]).unwrap();
    detector.finish().unwrap();
    let error = detector.push(&[0.0f32; 1600]).unwrap_err();
    assert_eq!(error.status(), Status::InvalidArgument);
    assert!(error.message().contains("finish"), "{error}");
    detector.reset().unwrap();
    detector.push(&[0.0f32; 1600]).unwrap();
}

#[test]
fn a_detector_outlives_its_model() {
    let audio = stream_commands();
    let expected = events_of(
        &commands_model(),
        &DetectorOptions::default(),
        &audio.samples,
    );
    let model = commands_model();
    let mut detector = Detector::new(&model, &DetectorOptions::default()).unwrap();
    drop(model);
    let mut events: Vec<_> = detector.push(&audio.samples).unwrap().collect();
    events.extend(detector.finish().unwrap());
    assert_eq!(events, expected);
}
