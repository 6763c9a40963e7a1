"""Free-text resource names of real inventories → resource codes, with a confidence.

A name is compared *folded* (case, accents, plurals, punctuation, figures and units dropped) with
the curated synonyms of ``data/resource_synonyms.csv``, the names of the core codes
(``data/resources.csv``) and the labels of the European List of Waste (``data/ewc.csv``). What
no row names exactly gets suggestions ranked by rapidfuzz; a suggestion is applied by itself only
from `AUTO_CONFIDENCE` on (``data/resolver.csv``, measured by ``benchmarks/bench_resolver.py``),
else the name stays « à coder » with its suggestions. A temperature written in the name decides
between ``waste_heat`` and ``hot_water``; a temperature or pressure is kept as ``detail``.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from rapidfuzz import fuzz, process

from eit_geo.codes import ewc_table, is_ewc_code, normalise_code, resource_table, unicode_bare
from eit_geo.datafiles import read_table, read_values
from eit_geo.written_numbers import parse_number

__all__ = [
    "AUTO_CONFIDENCE",
    "Resolution",
    "ResolverScore",
    "fold_name",
    "measure_resolver",
    "resolve_resource",
    "resolve_resources",
]

_SETTINGS = read_values("resolver.csv")
AUTO_CONFIDENCE: float = _SETTINGS["auto_confidence"]
_HEAT_CODES = ("waste_heat", "hot_water")
_NOT_A_RESOURCE = ""  # a synonym row without code: a known name that no code stands for
_MAX_SUGGESTIONS = 5

_TEMPERATURE = re.compile(r"(-?\d+(?:[.,]\d+)?)\s*(?:°|º|deg(?:r[eé]s?|rees?)?\b\.?)\s*c?\b")
_PRESSURE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:bars?|barg|bara|b)\b(?:\s*\(?[ag]\))?")
_ACRONYM = re.compile(r"\b(?:[a-z]\.){2,}")
_EMBEDDED_CODE = re.compile(r"(?<![\d,.])(\d{2})([ .]?)(\d{2})\2(\d{2})(?![\d,.])\s?(\*?)")


@dataclass(frozen=True)
class Resolution:
    """How one resource name was coded.

    Attributes
    ----------
    text
        The name as written.
    code
        A core code or a six-digit EWC code; None when the name stays « à coder ».
    confidence
        From 0 to 1: 1 for a code or an exact synonym; otherwise the first suggestion's score,
        lowered when another code scores nearly as well; 0 when nothing is suggested (a blank
        name, or a known name that is no resource, like « air comprimé »).
    method
        ``code`` (already a code), ``synonym``, ``ewc_label``, ``fuzzy`` or ``none``.
    suggestions
        Up to five ``(code, score)``, best first, also when ``code`` is None.
    detail
        A temperature or pressure read in the name (``40 °C``, ``6 bar``), else None.
    """

    text: str
    code: str | None
    confidence: float
    method: str
    suggestions: tuple[tuple[str, float], ...]
    detail: str | None = None


@dataclass(frozen=True)
class ResolverScore:
    """How well the resolver codes a labelled set of names.

    Attributes
    ----------
    names
        Number of names measured.
    coded
        Names given a code by themselves (confidence at least the threshold).
    right
        Coded names whose code is the expected one.
    coverage
        ``coded / names``.
    precision
        ``right / coded`` (1 when nothing is coded).
    """

    names: int
    coded: int
    right: int

    @property
    def coverage(self) -> float:
        """Share of the names coded by themselves."""
        return self.coded / self.names if self.names else 0.0

    @property
    def precision(self) -> float:
        """Share of the coded names coded right."""
        return self.right / self.coded if self.coded else 1.0


@dataclass(frozen=True)
class _Folded:
    key: str
    temperature: float | None
    detail: str | None


@dataclass(frozen=True)
class _Vocabulary:
    """Every known name, folded: exact look-up, and tokens weighted for the ranking."""

    exact: dict[str, tuple[str, str]]  # folded name -> (code, method)
    names: list[tuple[str, ...]]  # tokens of each folded name
    codes: list[str]
    curated: list[bool]  # a synonym or core-code name, not an EWC label
    weights: dict[str, float]  # token -> inverse document frequency
    tokens: list[str]  # every token, for rapidfuzz
    postings: dict[str, list[int]]  # token -> names holding it


# --------------------------------------------------------------------------- folding


@cache
def _words(kind: str) -> frozenset[str]:
    table = read_table("resource_folding.csv")
    return frozenset(table.loc[table["kind"] == kind, "word"])


@cache
def _same() -> dict[str, str]:
    """Abbreviations read as the word they stand for (``alu`` → ``aluminium``), folded."""
    table = read_table("resource_folding.csv")
    rows = table[table["kind"] == "same"]
    return {
        _strip_accents(word).lower(): _singular(_strip_accents(means).lower())
        for word, means in zip(rows["word"], rows["means"], strict=True)
    }


@cache
def _vague_words() -> frozenset[str]:
    """Words that make a name a leftover (« autres », « divers »), folded."""
    return frozenset(_singular(_strip_accents(word).lower()) for word in _words("vague"))


@cache
def _weak_words() -> frozenset[str]:
    """Words of state (« usagé », « spent », « en vrac »), folded: they weigh little."""
    return frozenset(_singular(_strip_accents(word).lower()) for word in _words("weak"))


def _strip_accents(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    return unicode_bare(text)


def _singular(word: str) -> str:
    """Fold French and English plurals (and the matching singulars) to one form."""
    if len(word) <= 3:  # noqa: PLR2004 - short words and acronyms stay as they are
        return word
    if word.endswith("eaux"):
        word = word[:-1]
    elif word.endswith("aux"):
        word = word[:-3] + "al"
    elif word.endswith("ies") and len(word) > 4:  # noqa: PLR2004
        word = word[:-3] + "y"
    elif (word.endswith("s") and not word.endswith("ss")) or word.endswith(("eux", "oux")):
        word = word[:-1]
    if word.endswith("e") and word[:-1].endswith(("sh", "ch", "ss", "x")):
        word = word[:-1]
    return word


def fold_name(text: str) -> tuple[str, str | None]:
    """Return a resource name folded for comparison, and the temperature or pressure it gives.

    Lower case, no accents, no punctuation, figures and the units written after them dropped,
    grammatical words dropped (``data/resource_folding.csv``), plurals folded:
    ``"Boues de STEP (MS 20 %)"`` is ``"boue step"``; ``"Vapeur BP 6 bars"`` is
    ``("vapeur bp", "6 bar")``.
    """
    folded = _fold(text)
    return folded.key, folded.detail


@lru_cache(maxsize=65536)
def _fold(text: str) -> _Folded:
    bare = _strip_accents(text).lower()
    temperature = None
    detail = None
    found = _TEMPERATURE.search(bare)
    if found:
        temperature = parse_number(found.group(1))
        detail = f"{found.group(1)} °C"
        bare = bare[: found.start()] + " " + bare[found.end() :]
    pressure = _PRESSURE.search(bare)
    if pressure:
        shown = f"{pressure.group(1)} bar"
        detail = shown if detail is None else f"{detail}, {shown}"
        bare = bare[: pressure.start()] + " " + bare[pressure.end() :]
    bare = _ACRONYM.sub(lambda found: found.group(0).replace(".", ""), bare)  # D.I.B. is DIB
    tokens = re.sub(r"[^a-z0-9%]+", " ", bare.replace("'", " ")).split()
    kept: list[str] = []
    after_number = False
    for word in tokens:
        if word[0].isdigit() or word == "%":
            after_number = True
            continue
        if after_number and word in _words("unit"):
            continue
        after_number = False
        if word in _words("stopword") or word in _words("filler"):
            continue
        kept.append(_same().get(word, _singular(word)))
    return _Folded(" ".join(kept), temperature, detail)


# --------------------------------------------------------------------------- vocabulary


@cache
def _vocabulary() -> _Vocabulary:
    """Fold every known name once: synonyms, core-code names, EWC entry labels.

    For the exact look-up a curated synonym wins over a core-code name, which wins over an EWC
    label; a folded name given to several codes at the same rank is dropped from it. A label
    made only of common words (``autres déchets``) is not taken as exact either.
    """
    named: list[tuple[str, str, str, int]] = []  # (name, code, method, rank)
    synonyms = read_table("resource_synonyms.csv")
    for name, code in zip(synonyms["name"], synonyms["code"], strict=True):
        canonical = _canonical(code) if code else _NOT_A_RESOURCE
        if canonical is not None:
            named.append((name, canonical, "synonym", 0))
    for code, row in resource_table().iterrows():
        named.append((str(code).replace("_", " "), str(code), "synonym", 1))
        if not is_ewc_code(str(code)):
            named.extend((row[c], str(code), "synonym", 1) for c in ("label_fr", "label_en"))
    aliases = read_table("aliases.csv")
    for alias, code in aliases.loc[aliases["kind"] == "resource", ["alias", "canonical"]].values:
        named.append((alias, str(code), "synonym", 1))
    ewc = ewc_table()
    for code, row in ewc[ewc["level"] == "entry"].iterrows():
        canonical = str(normalise_code(str(code)))
        named.extend((row[c], canonical, "ewc_label", 2) for c in ("label_fr", "label_en"))
    folded = [(_fold(name).key, code, method, rank) for name, code, method, rank in named]
    folded = [row for row in folded if row[0]]
    names = [tuple(key.split()) for key, *_ in folded]
    frequency: dict[str, int] = defaultdict(int)
    postings: dict[str, list[int]] = defaultdict(list)
    for index, tokens in enumerate(names):
        for token in set(tokens):
            frequency[token] += 1
            postings[token].append(index)
    weak = _weak_words()
    factor = _SETTINGS["weak_word_factor"]
    weights = {
        token: math.log(len(names) / count) * (factor if token in weak else 1.0)
        for token, count in frequency.items()
    }
    exact: dict[str, tuple[str, str, int]] = {}
    clashes: set[str] = set()
    for key, code, method, rank in folded:
        if method == "ewc_label" and _informative(key.split(), weights) < 1:
            continue
        held = exact.get(key)
        if held is None or rank < held[2]:
            exact[key] = (code, method, rank)
            clashes.discard(key)
        elif rank == held[2] and code != held[0]:
            clashes.add(key)
    return _Vocabulary(
        exact={k: (c, m) for k, (c, m, _) in exact.items() if k not in clashes},
        names=names,
        codes=[code for _, code, _, _ in folded],
        curated=[method != "ewc_label" for _, _, method, _ in folded],
        weights=weights,
        tokens=sorted(weights),
        postings=dict(postings),
    )


def _canonical(code: str) -> str | None:
    """Return a synonym row's code in canonical form; warn and skip it when it is no code."""
    canonical = normalise_code(code)
    if canonical is None:
        message = f"data/resource_synonyms.csv: {code!r} is not a resource code, row skipped"
        warnings.warn(message, stacklevel=4)
    return canonical


# --------------------------------------------------------------------------- resolving


def resolve_resource(text: str) -> Resolution:
    """Return the resource code a free-text name stands for, with its confidence.

    Parameters
    ----------
    text
        A resource name as an inventory writes it (``"Sciure (80 t/an)"``, ``"Spent grain"``,
        ``"chaleur fatale 40°C"``) or a code (``"10 01 02"``, ``"steam"``).

    Returns
    -------
    Resolution
        ``code`` is None (« à coder ») when the best suggestion is below `AUTO_CONFIDENCE`.
    """
    return _resolve(str(text))


def resolve_resources(texts: Iterable[str]) -> dict[str, Resolution]:
    """Resolve many names: one `Resolution` per distinct text (map it back onto a column).

    Parameters
    ----------
    texts
        Resource names, repeated as often as rows hold them.

    Returns
    -------
    dict[str, Resolution]
        By distinct text.
    """
    return {text: _resolve(text) for text in dict.fromkeys(str(t) for t in texts)}


@lru_cache(maxsize=65536)
def _resolve(text: str) -> Resolution:
    folded = _fold(text)
    code = normalise_code(text) or _embedded_code(text)
    if code is not None:
        return Resolution(text, code, 1.0, "code", ((code, 1.0),), folded.detail)
    known = _vocabulary().exact.get(folded.key) if folded.key else None
    if known is not None and known[0] != _NOT_A_RESOURCE:
        code = _by_temperature(known[0], folded.temperature)
        return Resolution(text, code, 1.0, known[1], ((code, 1.0),), folded.detail)
    if not folded.key or known is not None:  # nothing left, or known to be no resource
        return Resolution(text, None, 0.0, "none", (), folded.detail)
    confidence, suggestions = _suggestions(folded)
    if not suggestions:
        return Resolution(text, None, 0.0, "none", (), folded.detail)
    applied = suggestions[0][0] if confidence >= AUTO_CONFIDENCE else None
    return Resolution(text, applied, confidence, "fuzzy", suggestions, folded.detail)


def _embedded_code(text: str) -> str | None:
    """Return a six-digit EWC code written inside a name (``"Cendres (10 01 02)"``), or None."""
    for found in _EMBEDDED_CODE.finditer(text):
        code = normalise_code("".join(found.group(1, 3, 4, 5)))
        if code is not None:
            return code
    return None


def _by_temperature(code: str, temperature: float | None) -> str:
    if code not in _HEAT_CODES or temperature is None:
        return code
    return "hot_water" if temperature >= _SETTINGS["heat_threshold_c"] else "waste_heat"


def _suggestions(folded: _Folded) -> tuple[float, tuple[tuple[str, float], ...]]:
    """Return the confidence and the codes ranked by their best-scoring known names.

    The confidence is the first code's score, lowered when another code (or a known name that
    is no resource) scores nearly as well.

    Each word of the name is matched to known words by rapidfuzz (typos allowed in long words,
    abbreviations as prefixes). A known name scores by how much of it the name covers (its
    rare words count most) and how much of the name it explains; words never seen in any
    known name say little about the resource and weigh little.
    """
    vocabulary = _vocabulary()
    query = _query_tokens(folded.key)
    similar = {token: _similar_tokens(token) for token in query}
    unknown = _SETTINGS["unknown_word_weight"]
    query_weight = {
        token: max((vocabulary.weights[v] * s for v, s in similar[token].items()), default=unknown)
        for token in query
    }
    query_total = sum(query_weight.values()) or 1.0
    candidates = _candidates(similar)
    best: dict[str, float] = defaultdict(float)
    for index in candidates:
        name = vocabulary.names[index]
        covered = sum(
            vocabulary.weights[t] * max(similar[q].get(t, 0.0) for q in query) for t in name
        )
        total = sum(vocabulary.weights[t] for t in name) or 1.0
        explained = sum(query_weight[q] * max(similar[q].get(t, 0.0) for t in name) for q in query)
        score = (covered / total) ** _SETTINGS["recall_power"] * (
            explained / query_total
        ) ** _SETTINGS["precision_power"]
        score *= _informative(name, vocabulary.weights)
        if not vocabulary.curated[index]:
            score *= _SETTINGS["label_factor"]
        code = _by_temperature(vocabulary.codes[index], folded.temperature)
        best[code] = max(best[code], score)
    everything = sorted(best.items(), key=lambda item: (-item[1], item[0]))
    ranked = [(code, score) for code, score in everything if code != _NOT_A_RESOURCE]
    ranked = ranked[:_MAX_SUGGESTIONS]
    if not ranked:
        return 0.0, ()
    first_code, first = ranked[0]
    rival = max((score for code, score in everything if code != first_code), default=0.0)
    confidence = max(0.0, first - max(0.0, rival - (first - _SETTINGS["margin"])))
    if any(token in _vague_words() for token in query):
        confidence *= _SETTINGS["vague_factor"]
    return round(confidence, 3), tuple((code, round(score, 3)) for code, score in ranked)


def _candidates(similar: dict[str, dict[str, float]]) -> set[int]:
    """Return the known names sharing a word with the name, through its informative words.

    A known name that shares only common words (« déchets », « eau ») cannot score high (see
    `_informative`): those words' postings are read only when the name has no other word.
    """
    vocabulary = _vocabulary()
    found = {known for matches in similar.values() for known in matches}
    rare = {
        known for known in found if vocabulary.weights[known] >= _SETTINGS["informative_weight"]
    }
    return {index for known in (rare or found) for index in vocabulary.postings[known]}


def _informative(tokens: Iterable[str], weights: dict[str, float]) -> float:
    """Return 1 for a name holding a rare word, less for one made of common words only.

    ``autres déchets`` or ``boues`` alone say little: their score is lowered by the square of
    their rarest word's weight over ``informative_weight``.
    """
    rarest = max((weights.get(token, 0.0) for token in tokens), default=0.0)
    return min(1.0, (rarest / _SETTINGS["informative_weight"]) ** 2)


def _query_tokens(key: str) -> tuple[str, ...]:
    """Return the words of a folded name, two joined when they make a known word (``bio gaz``)."""
    weights = _vocabulary().weights
    words = key.split()
    tokens: list[str] = []
    index = 0
    while index < len(words):
        pair = "".join(words[index : index + 2])
        if index + 1 < len(words) and pair in weights:
            tokens.append(pair)
            index += 2
        else:
            tokens.append(words[index])
            index += 1
    return tuple(dict.fromkeys(tokens))


@lru_cache(maxsize=65536)
def _similar_tokens(token: str) -> dict[str, float]:
    """Return the known words a word of a name may be, with their similarity (0 to 1)."""
    vocabulary = _vocabulary()
    if token in vocabulary.weights:
        return {token: 1.0}
    similar: dict[str, float] = {}
    if len(token) >= _SETTINGS["typo_min_length"]:
        cutoff = _SETTINGS["typo_cutoff"]
        for known, score, _ in process.extract(
            token, vocabulary.tokens, scorer=fuzz.ratio, score_cutoff=cutoff, limit=5
        ):
            similar[known] = score / 100
    for cut in range(3, len(token) - 2):  # a compound of two known words: woodchips
        head, tail = token[:cut], token[cut:]
        if head in vocabulary.weights and tail in vocabulary.weights:
            similar.setdefault(head, 1.0)
            similar.setdefault(tail, 1.0)
    if len(token) >= _SETTINGS["prefix_min_length"]:
        for known in vocabulary.tokens:
            if known.startswith(token) and len(known) > len(token) + 1:
                similar.setdefault(known, _SETTINGS["prefix_similarity"])
    return similar


def measure_resolver(
    names: Iterable[str], expected: Iterable[str], *, threshold: float | None = None
) -> ResolverScore:
    """Measure coverage and precision on names labelled with their expected code.

    Parameters
    ----------
    names
        Resource names as inventories write them.
    expected
        The right code of each name; an empty string for a name that must stay « à coder »
        (coding it at all counts as a mistake).
    threshold
        Confidence from which a suggestion is applied (`AUTO_CONFIDENCE` when None).

    Returns
    -------
    ResolverScore
    """
    threshold = AUTO_CONFIDENCE if threshold is None else threshold
    coded = right = total = 0
    for name, code in zip(names, expected, strict=True):
        total += 1
        resolution = resolve_resource(name)
        if resolution.suggestions and resolution.confidence >= threshold:
            coded += 1
            right += resolution.suggestions[0][0] == (normalise_code(code) or code)
    return ResolverScore(total, coded, right)
