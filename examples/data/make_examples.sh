#!/usr/bin/env bash
# Regenerates the example recordings bundled with libkws: synthesised here with espeak-ng (Debian
# package espeak-ng) and converted to 16 kHz 16-bit mono with sox, so they carry no third-party
# rights. Run from anywhere; writes next to this script.
set -euo pipefail
cd "$(dirname "$0")"
speak() {  # speak OUT.wav VOICE TEXT
  espeak-ng -v "$2" -s 140 -g 12 -w /tmp/kws_example_$$.wav "$3"
  sox /tmp/kws_example_$$.wav -r 16000 -c 1 -b 16 "$1" pad 0.3 0.3
  rm -f /tmp/kws_example_$$.wav
}
speak yes_no_up_down.wav en-us "yes. no. up. down."
# A longer stream for kws-spot: keywords between ordinary speech, two voices.
speak /tmp/kws_stream_a_$$.wav en-us "Okay, go. Turn left, then stop."
speak /tmp/kws_stream_b_$$.wav en-gb "Nice weather. Yes. Lights on."
sox /tmp/kws_stream_a_$$.wav /tmp/kws_stream_b_$$.wav stream_commands.wav
rm -f /tmp/kws_stream_a_$$.wav /tmp/kws_stream_b_$$.wav
speak hey_computer.wav en-us+f3 "Good morning. Computer. Turn the lights on."
