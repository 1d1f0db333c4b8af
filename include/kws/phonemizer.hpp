// Text to the phoneme tokens of a CTC model (Model::phonemizer()), for keywords given as words.
//
// Engine "espeak-ng", notation "mnemonic": espeak-ng's ASCII phoneme names for the voice (as
// `espeak-ng -q -x --sep=_ -v VOICE` prints them), stress marks ' and , removed, split on '_'
// and spaces, and the marks that are no sound (pauses ":", the syllable break ";", "|", "!",
// "!w") dropped. Characters other than letters, digits, '_', apostrophes, hyphens and spaces count
// as spaces first. This is kws_training.recipe.phonetics.phonemes(), the rule the training data
// was made with; tests/spotter checks the two agree word for word.
//
// Needs libkws built with libespeak-ng (KWS_WITH_ESPEAK); otherwise, or for another engine or
// notation, it throws Error(unsupported_format) saying so (keywords given as phonemes need no
// phonemizer). libespeak-ng is not thread-safe: libkws serialises its calls behind one mutex, so
// phonemize() may be called from any thread (it is meant for set-up, not the audio path).
#pragma once

#include <string>
#include <vector>

#include "kws/model.hpp"

namespace kws {

// The tokens of `text` (UTF-8). Throws InvalidArgument for text with no words or an unknown
// voice, Error(unsupported_format) as above.
std::vector<std::string> phonemize(const PhonemizerSpec& spec, const std::string& text);

// Whether this build can phonemise text (built with libespeak-ng).
bool phonemizer_available();

}  // namespace kws
