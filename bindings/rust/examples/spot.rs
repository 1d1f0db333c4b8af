//! kws-classify-c in Rust: spots keywords in an audio file.
//!
//!     cargo run --example spot -- [--model M] FILE
//!
//! Reads FILE (WAV/FLAC/OGG, any rate), classifies it as one clip, then streams it through a
//! detector in 100 ms chunks, as a live source would, and prints each keyword event with its
//! time. The model is --model, else $KWS_MODEL, else the repository's
//! examples/models/commands_en.kws.
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: spot [--model M] FILE";

fn main() -> ExitCode {
    let mut model_path = None;
    let mut audio_path = None;
    let mut arguments = std::env::args_os().skip(1);
    while let Some(argument) = arguments.next() {
        if argument == "--model" {
            model_path = arguments.next().map(PathBuf::from);
            if model_path.is_none() {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        } else if argument.to_string_lossy().starts_with('-') || audio_path.is_some() {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        } else {
            audio_path = Some(PathBuf::from(argument));
        }
    }
    let audio_path = match audio_path {
        Some(path) => path,
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let model_path = model_path
        .or_else(|| {
            std::env::var_os("KWS_MODEL")
                .filter(|value| !value.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/models/commands_en.kws")
        });
    match spot(&model_path, &audio_path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("spot: {error}");
            ExitCode::FAILURE
        }
    }
}

fn spot(model_path: &std::path::Path, audio_path: &std::path::Path) -> kws::Result<()> {
    let model = kws::Model::load(model_path)?;
    println!(
        "libkws {} ({})",
        kws::version()?,
        kws::library_path()?.display()
    );
    let audio = kws::read_audio(audio_path, None)?;
    let seconds = audio.samples.len() as f64 / f64::from(audio.sample_rate);
    println!(
        "{}: {seconds:.2} s at {} Hz",
        audio_path.display(),
        audio.sample_rate
    );

    let clip = model.classify(&audio.samples, audio.sample_rate)?;
    println!("classified: {} {:.3}", clip.label, clip.score);

    let options = kws::DetectorOptions {
        sample_rate: Some(audio.sample_rate),
        ..Default::default()
    };
    let mut detector = kws::Detector::new(&model, &options)?;
    println!("events:");
    let mut heard = 0;
    let mut print = |events: kws::Events| {
        for event in events {
            heard += 1;
            println!(
                "  {:7.2}-{:7.2} s  {:<12} {:.3}",
                event.start_seconds(),
                event.end_seconds(),
                event.label,
                event.score
            );
        }
    };
    for chunk in audio.samples.chunks(audio.sample_rate as usize / 10) {
        print(detector.push(chunk)?);
    }
    print(detector.finish()?);
    if heard == 0 {
        println!("  (none above the thresholds)");
    }
    Ok(())
}
