//! The binding against the C API itself: tests/bindings/c_api_events.c, compiled against the
//! library this process loaded, on the bundled recordings.
use crate::c_probe::{repository, CProgram};
use crate::{library_path, read_audio, Detector, DetectorOptions, Model};

/// (model, recording) pairs: every bundled recording with the model made for it.
const BUNDLED: [(&str, &str); 4] = [
    (
        "examples/models/commands_en.kws",
        "examples/data/yes_no_up_down.wav",
    ),
    (
        "examples/models/commands_en.kws",
        "examples/data/stream_commands.wav",
    ),
    (
        "examples/models/commands_en_large.kws",
        "examples/data/stream_commands.wav",
    ),
    (
        "examples/models/computer.kws",
        "examples/data/hey_computer.wav",
    ),
];

/// What one recording gives: the best label index and every score of the clip, then the
/// stream's events as (label index, label, score, start sample, end sample).
#[derive(Debug, PartialEq)]
struct Outcome {
    best: usize,
    scores: Vec<f32>,
    events: Vec<(usize, String, f32, i64, i64)>,
}

/// The C program's output (see c_api_events.c); "%.9g" text parses back to the very float.
fn parse_c_output(output: &str) -> Outcome {
    let mut outcome = Outcome {
        best: usize::MAX,
        scores: Vec::new(),
        events: Vec::new(),
    };
    for line in output.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        match words[0] {
            "classify" => {
                outcome.best = words[1].parse().unwrap();
                outcome.scores = words[2..]
                    .iter()
                    .map(|word| word.parse().unwrap())
                    .collect();
            }
            "event" => outcome.events.push((
                words[1].parse().unwrap(),
                words[2].to_string(),
                words[3].parse().unwrap(),
                words[4].parse().unwrap(),
                words[5].parse().unwrap(),
            )),
            _ => panic!("unexpected line from c_api_events: {line}"),
        }
    }
    outcome
}

/// The same through this binding.
fn binding_outcome(model_path: &std::path::Path, audio_path: &std::path::Path) -> Outcome {
    let model = Model::load(model_path).expect("model");
    let audio = read_audio(audio_path, None).expect("audio");
    let result = model
        .classify(&audio.samples, audio.sample_rate)
        .expect("classify");
    let options = DetectorOptions {
        sample_rate: Some(audio.sample_rate),
        ..Default::default()
    };
    let mut detector = Detector::new(&model, &options).expect("detector");
    // One push, where the C program pushes 100 ms chunks: the events must not depend on it.
    let events = detector
        .push(&audio.samples)
        .expect("push")
        .chain(detector.finish().expect("finish"));
    Outcome {
        best: result.label_index,
        scores: result.scores,
        events: events
            .map(|event| {
                (
                    event.label_index,
                    event.label,
                    event.score,
                    event.start_sample,
                    event.end_sample,
                )
            })
            .collect(),
    }
}

#[test]
fn classification_and_events_equal_the_c_api_on_the_bundled_recordings() {
    let library = library_path().expect("libkws");
    let program = CProgram::compile(
        "c_api_events",
        &std::fs::read_to_string(repository().join("tests/bindings/c_api_events.c"))
            .expect("c_api_events.c"),
        Some(library),
    );
    let mut events = 0;
    for (model, audio) in BUNDLED {
        let (model, audio) = (repository().join(model), repository().join(audio));
        let expected = parse_c_output(&program.run(&[&model, &audio]));
        events += expected.events.len();
        assert_eq!(
            binding_outcome(&model, &audio),
            expected,
            "{} on {}",
            model.display(),
            audio.display()
        );
    }
    assert!(
        events >= 5,
        "the bundled recordings should give keyword events, got {events}"
    );
}
