"""Language identification with py3langid (a maintained, dependency-light fork of langid.py)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, min_chars: int = 20) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short to tell."""
    sample = text[:1000]  # a paragraph or two is plenty for a confident guess; the cost grows with the length
    if len(sample.strip()) < min_chars:
        return None
    lang, prob = _identifier().classify(sample)
    return lang if prob >= 0.5 else None
