"""Load the spaCy model once per worker process, with only the components the pipeline needs."""

from __future__ import annotations

import threading

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from transforms.nlp_defaults import DEFAULT_COMPONENTS, DEFAULT_MODEL

__all__ = ["DEFAULT_COMPONENTS", "DEFAULT_MODEL", "load_model", "paragraph_boundaries"]
_LOCK = threading.Lock()
_CACHE: dict[tuple[str, tuple[str, ...]], Language] = {}
_USE_LOCKS: dict[int, threading.Lock] = {}


@Language.component("paragraph_boundaries")
def paragraph_boundaries(doc: Doc) -> Doc:
    """A paragraph break always starts a new sentence; the parser then never joins two paragraphs."""
    for tok in doc[1:]:
        prev = doc[tok.i - 1]
        if prev.is_space and "\n" in prev.text or "\n\n" in prev.whitespace_:
            tok.is_sent_start = True
    return doc


def load_model(name: str = DEFAULT_MODEL, components: tuple[str, ...] = DEFAULT_COMPONENTS) -> Language:
    """The named model with every component outside `components` excluded (cached per process)."""
    key = (name, tuple(components))
    with _LOCK:
        nlp = _CACHE.get(key)
        if nlp is None:
            full = spacy.util.get_model_meta(spacy.util.get_package_path(name)) if spacy.util.is_package(name) else {}
            names = full.get("pipeline") or []
            exclude = [c for c in names if c not in components] if names else []
            nlp = spacy.load(name, exclude=exclude)
            first_parser = next((c for c in ("parser", "senter") if c in nlp.pipe_names), None)
            if first_parser:
                nlp.add_pipe("paragraph_boundaries", before=first_parser)
            _CACHE[key] = nlp
        return nlp


def exclusive_use(nlp: Language) -> threading.Lock:
    """The lock to hold while a batch runs in `nlp.memory_zone()`.

    The model is shared by every thread of a worker process (Beam's SDK harness runs bundles on several
    threads), and a memory zone is not thread-safe: when one thread's zone ends, the strings another thread's
    Docs still use are dropped (spaCy then raises E018 "Can't retrieve string for hash")."""
    with _LOCK:
        return _USE_LOCKS.setdefault(id(nlp), threading.Lock())

