//! Concurrency as the C API promises it: one model shared by many threads, one detector per
//! stream.
mod common;

use std::sync::Arc;

use common::{commands_model, events_of, stream_commands};
use kws::{Detector, DetectorOptions, Model};

const THREADS: usize = 8;

/// Compile-time: a Model is shared between threads, a Detector moved to its stream's thread.
#[test]
fn model_is_send_and_sync_and_detector_is_send() {
    fn send_and_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_and_sync::<Model>();
    send::<Detector>();
    send_and_sync::<kws::Error>();
}

#[test]
fn eight_threads_with_their_own_detectors_over_one_model_give_the_single_thread_events() {
    let model = Arc::new(commands_model());
    let audio = Arc::new(stream_commands());
    let options = DetectorOptions::default();
    let expected = events_of(&model, &options, &audio.samples);
    assert_eq!(expected.len(), 4);
    let clip = model.classify(&audio.samples, audio.sample_rate).unwrap();
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (model, audio, options) = (Arc::clone(&model), Arc::clone(&audio), options.clone());
            std::thread::spawn(move || {
                // Each thread its own detector, fed in its own chunk size, and classifying on
                // the shared model in between.
                let mut detector = Detector::new(&model, &options).unwrap();
                let mut events = Vec::new();
                for chunk in audio.samples.chunks(800 + 400 * thread) {
                    events.extend(detector.push(chunk).unwrap());
                }
                events.extend(detector.finish().unwrap());
                (
                    events,
                    model.classify(&audio.samples, audio.sample_rate).unwrap(),
                )
            })
        })
        .collect();
    for thread in threads {
        let (events, classification) = thread.join().unwrap();
        assert_eq!(events, expected);
        assert_eq!(classification, clip);
    }
}

#[test]
fn a_detector_made_on_one_thread_runs_on_another_after_the_model_is_dropped_there() {
    let audio = stream_commands();
    let model = commands_model();
    let expected = events_of(&model, &DetectorOptions::default(), &audio.samples);
    let mut detector = Detector::new(&model, &DetectorOptions::default()).unwrap();
    let events = std::thread::spawn(move || {
        drop(model);
        let mut events: Vec<_> = detector.push(&audio.samples).unwrap().collect();
        events.extend(detector.finish().unwrap());
        events
    })
    .join()
    .unwrap();
    assert_eq!(events, expected);
}
