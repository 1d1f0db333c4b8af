// phonemize(): libespeak-ng's espeak_TextToPhonemes in mnemonic mode, behind one mutex.
#include "kws/phonemizer.hpp"

#include <algorithm>
#include <array>
#include <mutex>

#include "kws/error.hpp"
#include "optional_dependency.hpp"

#ifdef KWS_HAVE_ESPEAK
#include <espeak-ng/speak_lib.h>
#endif

namespace kws {

namespace {

constexpr const char* kEngine = "espeak-ng";
constexpr const char* kNotation = "mnemonic";

// kws_training.recipe.phonetics.phonemes' cleaning, re.sub(r"[^\w' -]", " ", text): bytes of
// multi-byte UTF-8 characters are kept (Python's \w takes letters of every script).
std::string clean(const std::string& text) {
  std::string out = text;
  for (char& ch : out) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool keep = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '_' || c == '\'' || c == '-' || c == ' ';
    if (!keep) ch = ' ';
  }
  return out;
}

// espeak-ng mnemonics that are no sound (phonetics.NOT_PHONEMES): pauses between phrases, a
// syllable break and other prosody marks. Dropped with the stress marks.
constexpr std::array<const char*, 5> kNotPhonemes = {":", ";", "|", "!", "!w"};

// espeak-ng's output to tokens: stress marks dropped, split on '_' and spaces, marks that are
// no sound dropped.
[[maybe_unused]] std::vector<std::string> split_tokens(const std::string& phonemes) {
  std::vector<std::string> tokens;
  std::string token;
  auto keep = [&] {
    const bool sound = std::none_of(kNotPhonemes.begin(), kNotPhonemes.end(),
                                    [&](const char* mark) { return token == mark; });
    if (!token.empty() && sound) tokens.push_back(token);
    token.clear();
  };
  for (char ch : phonemes) {
    if (ch == '\'' || ch == ',') continue;
    if (ch == '_' || ch == ' ' || ch == '\n' || ch == '\t')
      keep();
    else
      token += ch;
  }
  keep();
  return tokens;
}

#ifdef KWS_HAVE_ESPEAK
// libespeak-ng keeps global state (the voice, its translator, static output buffers).
std::mutex espeak_mutex;
bool espeak_ready = false;
std::string espeak_voice;

std::string espeak_phonemes(const std::string& voice, const std::string& text) {
  const std::lock_guard<std::mutex> lock(espeak_mutex);
  if (!espeak_ready) {
    // DONT_EXIT: a missing espeak-ng-data must be an error here, not exit() in the host process.
    if (espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT) < 0)
      throw Error(ErrorCode::io, "phonemize: libespeak-ng failed to initialise (is espeak-ng-data installed?)");
    espeak_ready = true;
  }
  if (voice != espeak_voice) {
    if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) {
      espeak_voice.clear();  // whatever espeak-ng holds now, the next call sets its voice again
      throw InvalidArgument("phonemize: espeak-ng has no voice \"" + voice + "\"");
    }
    espeak_voice = voice;
  }
  // Mnemonics (bit 1 clear) with '_' between the phonemes of a word (bits 8-23, espeak-ng 1.51).
  const int mode = int('_') << 8;
  std::string out;
  const void* cursor = text.c_str();
  while (cursor != nullptr) {
    const char* piece = espeak_TextToPhonemes(&cursor, espeakCHARS_UTF8, mode);
    if (piece == nullptr) break;
    out += piece;
    out += ' ';  // clauses are separated like words
  }
  return out;
}
#endif

}  // namespace

bool phonemizer_available() {
#ifdef KWS_HAVE_ESPEAK
  return true;
#else
  return false;
#endif
}

std::vector<std::string> phonemize(const PhonemizerSpec& spec, const std::string& text) {
  if (spec.engine != kEngine || spec.notation != kNotation)
    throw Error(ErrorCode::unsupported_format, "phonemize: the phonemizer engine \"" + spec.engine + "\" notation \"" +
                                                   spec.notation + "\" is not supported (libkws has " + kEngine +
                                                   " " + kNotation + "); give the keyword as phonemes");
  const std::string cleaned = clean(text);
  if (cleaned.find_first_not_of(' ') == std::string::npos)
    throw InvalidArgument("phonemize: \"" + text + "\" has no words");
#ifdef KWS_HAVE_ESPEAK
  std::vector<std::string> tokens = split_tokens(espeak_phonemes(spec.voice, cleaned));
  if (tokens.empty()) throw InvalidArgument("phonemize: espeak-ng gives no phonemes for \"" + text + "\"");
  return tokens;
#else
  detail::throw_not_built_with("phonemize(\"" + text + "\")", "libespeak-ng", "KWS_WITH_ESPEAK");
#endif
}

}  // namespace kws
