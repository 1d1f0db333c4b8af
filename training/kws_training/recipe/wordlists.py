"""Word lists for synthetic training data: keywords, negatives (phonetically close words first)
and generated running speech. Pure Python."""
import random
from typing import Iterable, List, Sequence

COMMANDS_EN = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")

#: Words close to a keyword (rhymes, shared onsets or nuclei); homophones of a keyword
#: ("know", "write", "four"/"for") are deliberately absent.
CLOSE_WORDS = {
    "yes": ["yet", "yeah", "yep", "yell", "less", "mess", "guess", "chess", "dress", "press",
            "ess", "jess", "yest", "best"],
    "no": ["nope", "note", "snow", "new", "now", "knee", "nah", "nose", "slow", "nor", "noah"],
    "up": ["cup", "pup", "hop", "app", "ape", "upper", "cap", "top up", "sup"],
    "down": ["town", "gown", "dawn", "done", "brown", "crown", "drown", "dome", "doubt", "den"],
    "left": ["lift", "loft", "lest", "theft", "laughed", "deft", "leaf", "lap", "let"],
    "right": ["bright", "light", "ride", "rice", "fright", "night", "wide", "rate", "ripe",
              "white", "rot"],
    "on": ["an", "own", "in", "honk", "ohm", "at", "un", "odd"],
    "off": ["of", "cough", "oaf", "if", "half", "awe", "ought", "doff"],
    "stop": ["stock", "shop", "top", "stomp", "step", "stab", "spot", "stoop", "stub", "sop"],
    "go": ["goat", "ago", "gold", "grow", "though", "code", "toe", "dough", "glow", "gone",
           "ghost", "guh"],
    "computer": ["commuter", "compute", "computing", "competitor", "conductor", "counter",
                 "copter", "composer", "compete", "compost", "comfort", "commute", "cucumber",
                 "calculator", "container", "helicopter", "compact", "complete", "company",
                 "compass", "computation", "commuters", "scooter", "tutor", "puter",
                 "come pewter", "peter", "pewter", "recruiter", "disputer", "commander",
                 "camper", "cooper", "copper", "computed", "amputee"],
}

#: The other words of Speech Commands v0.02 (its _unknown_ class).
SPEECH_COMMANDS_OTHER = ("bed", "bird", "cat", "dog", "eight", "five", "four", "happy", "house",
                         "marvin", "nine", "one", "seven", "sheila", "six", "three", "tree", "two",
                         "wow", "zero", "backward", "forward", "follow", "learn", "visual")

#: Common English words (none of the keywords above).
COMMON_WORDS = """
about after again air all also always and animal another answer any apple around ask away
baby back bad ball bank basket beach bear beautiful because become been before begin behind
believe below between big black blue boat body book both bottle box boy bread break breakfast
bring brother build busy but buy call camera can car card care carry case catch chair change
cheap check child city class clean clear clock close cloud coffee cold color come cook cool
corner could country course cover cross cry dance dark daughter day dear decide deep desk
dinner doctor door dream drink drive during each early earth easy eat egg end enough evening
every example eye face fact fall family far farm fast father feel few field find fine finger
fire first fish floor flower fly food foot friend from front fruit full funny game garden girl
give glass good great green ground group grow hair hand happen hard hat have head hear heart
heavy hello help here high hill hold holiday home hope horse hot hour hundred idea important
inside island jacket job join juice jump just keep key kind king kitchen know-how lady lake
language large last late laugh learn letter life like line lion listen little live long look
love low lunch machine make man many map market matter maybe meat meet milk minute money month
moon morning mother mountain mouth move much music name near need never next nice noise
north nothing number ocean office often old only open orange other outside page paint paper
parent park part party pass people perhaps person picture piece place plant play please
pocket point police poor potato power pretty problem pull purple push question quick quiet
rain read ready real red remember rest river road rock room round rule run sad salt same sand
say school sea season second see sell send shape share sheep ship shirt shoe short should
show sick side sign simple sing sister sit size skin sky sleep small smile so soft some son
song soon sound soup south space speak special spring square stand star start station stay
still stone store story street strong student study sugar summer sun sure sweet table take
talk tall tea teacher tell than thank that there thing think this thousand through ticket
time tired today together tomorrow tonight tooth train travel tree trouble true try turn
uncle under understand until use usually very village visit voice wait walk wall want warm
wash watch water way weather week welcome well west what wheel when where which while window
winter wish with without woman wonder wood word work world worry would write-up year yellow
young
""".split()

SENTENCE_FILLERS = ("the", "a", "is", "was", "we", "they", "it", "my", "your", "and", "to",
                    "with", "that", "this", "for", "I", "he", "she", "very", "will")


def negative_words(keywords: Sequence[str], count: int = 300, seed: int = 0,
                   close: Sequence[str] = ()) -> List[str]:
    """Negatives for ``keywords``: their close words (CLOSE_WORDS, then ``close``), the other
    Speech Commands words, then common words, without any keyword (or a word containing one as a
    token), ``count`` at most."""
    banned = {keyword.lower() for keyword in keywords}
    words: List[str] = []
    for keyword in keywords:
        words.extend(CLOSE_WORDS.get(keyword, []))
    words.extend(close)
    words.extend(SPEECH_COMMANDS_OTHER)
    common = [w for w in COMMON_WORDS if "-" not in w]
    random.Random(seed).shuffle(common)
    words.extend(common)
    result = []
    for word in dict.fromkeys(words):
        if not banned.intersection(word.lower().split()):
            result.append(word)
    return result[:count]


def running_speech(keywords: Sequence[str], count: int = 100, seed: int = 0,
                   words: Iterable[str] = ()) -> List[str]:
    """``count`` pseudo-sentences of 5-10 words (common words and fillers, no keyword) for the
    running-speech negatives."""
    banned = {keyword.lower() for keyword in keywords}
    vocabulary = [w for w in list(words) or COMMON_WORDS if "-" not in w and w not in banned]
    fillers = [w for w in SENTENCE_FILLERS if w.lower() not in banned]
    rng = random.Random(seed)
    sentences = []
    for _ in range(count):
        length = rng.randint(5, 10)
        tokens = [rng.choice(fillers) if rng.random() < 0.35 else rng.choice(vocabulary)
                  for _ in range(length)]
        sentences.append(" ".join(tokens).capitalize() + ".")
    return sentences
