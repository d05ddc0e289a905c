"""Similarity signals: kata modules identical or nearly identical to a classmate's, or to the reference.

Signals for a human to read, never a score change. Each graded kata module gets a signature when it is
graded (saved in its grade), and the signals come from comparing the signatures of a class:

- identical: the same bytes as a classmate's module (and not the handed-out stub);
- nearly identical: after taking out what renaming and reformatting change (comments, docstrings,
  whitespace, every name but attribute names), the two modules share most of their fingerprints;
- the reference: the module shares most of its fingerprints with the reference solution.

Fingerprints are winnowed k-grams of tokens, as MOSS computes them (Schleimer, Wilkerson and Aiken,
"Winnowing: local algorithms for document fingerprinting", 2003): hash every run of ``K`` tokens, keep
the smallest hash of every ``WINDOW`` consecutive ones. Any shared run of ``K + WINDOW - 1`` tokens
yields a shared fingerprint; runs shorter than ``K`` never do. Fingerprints of the handed-out module
are taken out, so only what the student wrote is compared. (copydetect on PyPI does the same for many
languages, with matplotlib, jinja2, pygments and tqdm behind it; Python's own tokenizer is all this needs.)
"""

from __future__ import annotations

import hashlib
import io
import keyword
import re
import tokenize
from dataclasses import dataclass
from itertools import combinations

K = 8  # tokens per k-gram: about one short statement
WINDOW = 6  # so any shared run of 13 tokens (a line or two) is seen
NEAR = 0.8  # share of the larger module's fingerprints two modules must share to read "nearly identical"
MIN_FINGERPRINTS = 4  # below this, a module holds too little of the student's own code to compare

SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENCODING, tokenize.ENDMARKER}
LINE_STARTS = {None, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
FSTRING_START, FSTRING_END = getattr(tokenize, "FSTRING_START", -1), getattr(tokenize, "FSTRING_END", -1)


def tokens(source: str) -> list[str]:
    """The tokens that renaming and reformatting leave alone: no comments, docstrings or layout, every
    f-string "F" (the names inside change with a renaming), and every name "V" except keywords and
    attribute names (``torch.einsum`` reads ``V.einsum``)."""
    found, previous, depth = [], None, 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            kind = token.type
            if kind in SKIPPED:
                if kind in LINE_STARTS:
                    previous = kind
                continue
            if kind == tokenize.STRING and previous in LINE_STARTS:
                previous = tokenize.NEWLINE  # a docstring, or a string as a statement: prose, not code
                continue
            if kind == FSTRING_START:
                depth += 1
            if depth:  # an f-string (Python 3.12 splits it into parts; 3.11 keeps it one STRING token)
                depth -= kind == FSTRING_END
                if not depth:
                    found.append("F")
                    previous = kind
                continue
            if kind == tokenize.STRING and re.match(r"[a-zA-Z]*[fF]", token.string):
                found.append("F")  # a message with names in it: one token, whatever it says
                previous = kind
                continue
            found.append(_normal(kind, token.string, found))
            previous = kind
    except (tokenize.TokenError, SyntaxError):  # code that does not parse: a rougher cut of all of it
        found = []
        for word in re.findall(r"[A-Za-z_]\w*|\d[\w.]*|\S", re.sub(r"#[^\n]*", "", source)):
            found.append(_normal(tokenize.NAME if word[0].isalpha() or word[0] == "_" else tokenize.OP, word, found))
    return found


def _normal(kind: int, text: str, before: list[str]) -> str:
    if kind == tokenize.NAME and not keyword.iskeyword(text) and not (before and before[-1] == "."):
        return "V"
    return text


def fingerprints(source: str) -> set[int]:
    """The winnowed fingerprints of ``source``."""
    words = tokens(source)
    hashes = [int.from_bytes(hashlib.blake2b("\x1f".join(words[i:i + K]).encode(), digest_size=4).digest(), "big")
              for i in range(len(words) - K + 1)]
    if len(hashes) <= WINDOW:
        return set(hashes)
    return {min(hashes[i:i + WINDOW]) for i in range(len(hashes) - WINDOW + 1)}


def _text(code: bytes) -> str:
    return code.decode("utf-8", errors="replace")


def signature(code: bytes, handout: bytes, reference: bytes | None = None) -> dict:
    """What a grade keeps of a kata module to compare it later: its hash, its own fingerprints (those
    of the handed-out module taken out), and how much of them the reference shares."""
    given = fingerprints(_text(handout))
    own = fingerprints(_text(code)) - given
    entry = {"sha256": hashlib.sha256(code).hexdigest(), "fingerprints": sorted(own)}
    if reference is not None:
        solution = fingerprints(_text(reference)) - given
        entry["reference"] = {"identical": code == reference,
                              "shared": round(len(own & solution) / len(own), 3) if own else 0.0}
    return entry


@dataclass(frozen=True)
class Signal:
    kata: str
    groups: tuple[tuple[str, ...], ...]  # one student (the reference), one group of identical modules,
    what: str  # or two groups (each of identical modules) whose modules are nearly identical

    @property
    def who(self) -> tuple[str, ...]:
        return tuple(name for group in self.groups for name in group)

    @property
    def with_reference(self) -> bool:
        return len(self.who) == 1  # a signal about one student is one about the reference

    def names(self) -> str:
        """"ann", "ann, ben, cat", or "ann and ben, cat" (two groups)."""
        return " and ".join(", ".join(group) for group in self.groups)


def signals(records: list[dict]) -> list[Signal]:
    """The signals of a class, from its grades (``gradebook.record``), per kata: each module that
    matches the reference, each group of identical modules (one signal however large the group), and
    each two groups whose modules are nearly identical."""
    by_kata: dict[str, list[tuple[str, dict]]] = {}
    for record in records:
        for kata in record.get("katas", []):
            if kata.get("similarity"):
                by_kata.setdefault(kata["folder"], []).append((str(record["submission"]), kata["similarity"]))
    found = []
    for folder in sorted(by_kata):
        entries = sorted(by_kata[folder], key=lambda entry: entry[0].lower())
        alike: dict[str, list[str]] = {}  # sha256 -> the students whose module has exactly those bytes
        own: dict[str, set[int]] = {}
        for name, entry in entries:
            alike.setdefault(entry["sha256"], []).append(name)
            own[entry["sha256"]] = set(entry["fingerprints"])
            reference = entry.get("reference") or {}
            if reference.get("identical"):
                found.append(Signal(folder, ((name,),), "identical to the reference solution"))
            elif len(own[entry["sha256"]]) >= MIN_FINGERPRINTS and reference.get("shared", 0) >= NEAR:
                found.append(Signal(folder, ((name,),), f"{reference['shared']:.0%} of its own code matches the "
                                                        f"reference solution ({len(own[entry['sha256']])} fingerprints)"))
        groups = [(tuple(names), own[sha]) for sha, names in alike.items() if own[sha]]  # not the untouched stub
        found += [Signal(folder, (names,), f"identical modules ({len(ours)} fingerprints of their own)")
                  for names, ours in groups if len(names) > 1]
        for (first, ours), (second, theirs) in combinations(groups, 2):
            larger, shared = max(len(ours), len(theirs)), len(ours & theirs)
            if min(len(ours), len(theirs)) >= MIN_FINGERPRINTS and shared >= NEAR * larger:
                found.append(Signal(folder, (first, second), f"nearly identical once names and layout are taken "
                                                             f"out: {shared} of {larger} fingerprints shared "
                                                             f"({shared / larger:.0%})"))
    return found
