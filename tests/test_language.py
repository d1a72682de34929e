"""Language ID: the cached model gives py3langid's own answers, and a broken cache is never fatal."""

from __future__ import annotations

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from transforms import language

TEXTS = [
    "The central bank raised interest rates on Tuesday, citing persistent inflation in services.",
    "Der Bundestag hat am Donnerstag ein neues Gesetz zur Energiewende beschlossen.",
    "Le gouvernement a annoncé mardi une réforme des retraites très contestée.",
    "El presidente dijo que la economía crecerá más de lo previsto este año.",
    "Это русский текст о политике и экономике страны.",
]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWS_PIPELINE_CACHE", str(tmp_path))
    language._identifier.cache_clear()
    yield tmp_path
    language._identifier.cache_clear()


def _reference():
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def test_first_load_fills_the_cache_and_later_loads_use_it(cache):
    assert not any(cache.iterdir())
    first = [language._identifier().classify(t) for t in TEXTS]
    (folder,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.npy" for n in language._ARRAYS)
    language._identifier.cache_clear()
    second = [language._identifier().classify(t) for t in TEXTS]
    reference = _reference()
    assert first == second == [reference.classify(t) for t in TEXTS]
    assert [language.detect_language(t) for t in TEXTS] == ["en", "de", "fr", "es", "ru"]


def test_a_damaged_cache_falls_back_to_the_packaged_model(cache, caplog):
    language._identifier()
    (folder,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    (folder / "nextmove.npy").write_bytes(b"not an array")
    language._identifier.cache_clear()
    assert [language._identifier().classify(t) for t in TEXTS] == [_reference().classify(t) for t in TEXTS]
    assert "cache unreadable" in caplog.text


def test_an_unwritable_cache_is_not_an_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("NEWS_PIPELINE_CACHE", str(blocker / "cache"))
    language._identifier.cache_clear()
    try:
        assert language.detect_language(TEXTS[0]) == "en"
    finally:
        language._identifier.cache_clear()


def test_cached_arrays_that_do_not_fit_together_are_not_used(cache, caplog):
    import numpy as np

    language._identifier()
    (folder,) = [p for p in cache.iterdir() if not p.name.startswith(".")]
    np.save(folder / "output.npy", np.zeros(3, dtype=np.int32))  # a valid file, the wrong length
    language._identifier.cache_clear()
    assert [language._identifier().classify(t) for t in TEXTS] == [_reference().classify(t) for t in TEXTS]
    assert "do not fit together" in caplog.text
