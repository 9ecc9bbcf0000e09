"""Spelling-tolerant matching of names at the counter. Pure: no I/O, no framework.

A person's names are kept a second time as a *search key*: folded (lower case, accents and
punctuation gone, ``Çelik`` → ``celik``) and then reduced to a rough sound (doubled letters
once, ``ph`` → ``f``, ``c``/``ck``/``q`` → ``k`` before a back vowel or a consonant, a final
``d``/``dt`` → ``t``, ``ij``/``y`` → ``i``, ``oe``/``ou`` → ``u``), so "Hadat", "Hadad" and
"Haddad" all become ``hadat``. The database compares a typed query, reduced the same way, with
that key by trigram similarity (``pg_trgm``): each typed word must resemble one word of the key
(so given and family name may come in either order, and a dropped, doubled or swapped letter
still finds the person), and the closest come first.
"""

import re
import unicodedata

# Letters NFKD does not split into a base letter and a mark.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
    }
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")  # digits stay: a name never has them, a code may
# The sound rules, in order: each one a pattern and its replacement.
_SOUNDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),
    (re.compile(r"[cq]"), "k"),
    (re.compile(r"ij|y"), "i"),
    (re.compile(r"oe|ou"), "u"),
    (re.compile(r"(.)\1+"), r"\1"),
    (re.compile(r"dt?$"), "t"),
)
# Similarity (0..1) a typed word must reach with a word of the key to count as found.
WORD_THRESHOLD = 0.4
MAX_QUERY_WORDS = 6


def fold(text: str | None) -> str:
    """Lower case, without accents or anything but letters and digits; words separated by one
    space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_SPECIAL))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NOT_WORD.sub(" ", bare.translate(_SPECIAL)).split())


def sound(word: str) -> str:
    """One folded word reduced to a rough sound: spelling variants meet in one form."""
    for pattern, replacement in _SOUNDS:
        word = pattern.sub(replacement, word)
    return word


def search_key(given_name: str | None, family_name: str | None) -> str:
    """What the database keeps to find a person by name: the reduced words of both names."""
    return " ".join(sound(word) for word in fold(f"{given_name or ''} {family_name or ''}").split())


def query_words(typed: str) -> list[str]:
    """The reduced words of a typed name query (at most ``MAX_QUERY_WORDS``, no repeats)."""
    words: list[str] = []
    for word in fold(typed).split():
        reduced = sound(word)
        if reduced not in words:
            words.append(reduced)
    return words[:MAX_QUERY_WORDS]
