//! examples/spot.rs, run as a user would (cargo test builds the examples first).
mod common;

use std::path::PathBuf;
use std::process::Command;

use common::repository_file;

/// target/<profile>/examples/spot, beside this test's target/<profile>/deps/.
fn spot() -> Command {
    let test = std::env::current_exe().unwrap();
    let example: PathBuf = test
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("spot");
    assert!(
        example.exists(),
        "{} not built (cargo test builds it)",
        example.display()
    );
    Command::new(example)
}

#[test]
fn spot_prints_the_clip_label_and_each_event_with_its_time() {
    let output = spot()
        .arg("--model")
        .arg(repository_file("examples/models/commands_en.kws"))
        .arg(repository_file("examples/data/stream_commands.wav"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("libkws "), "{stdout}");
    assert!(
        lines[1].ends_with("stream_commands.wav: 10.60 s at 16000 Hz"),
        "{stdout}"
    );
    assert!(lines[2].starts_with("classified: "), "{stdout}");
    assert_eq!(lines[3], "events:");
    // The times and scores kws-classify-c prints for this recording.
    assert_eq!(
        lines[4..],
        [
            "     0.98-   2.02 s  go           0.980",
            "     4.28-   5.32 s  stop         0.862",
            "     7.48-   8.52 s  yes          0.959",
            "     9.08-  10.12 s  on           0.983",
        ]
    );
}

#[test]
fn spot_fails_with_the_reason_and_refuses_bad_usage() {
    let output = spot().arg("/nonexistent.wav").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("spot: kws_audio_read: /nonexistent.wav"),
        "{stderr}"
    );
    assert_eq!(spot().output().unwrap().status.code(), Some(2));
    assert_eq!(
        spot().arg("--model").output().unwrap().status.code(),
        Some(2)
    );
}
