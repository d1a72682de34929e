"""A long-running worker's spaCy vocabulary stays flat: AnnotateArticles runs each batch in
nlp.memory_zone(), so the strings and lexemes of words never seen before are dropped after the batch,
and the rows that left the batch are still whole (plain Python strings, no reference into the vocab)."""

from apache_beam import pvalue

from transforms.beam_steps import ENTITIES, AnnotateArticles
from transforms.nlp_defaults import DEFAULT_COMPONENTS, DEFAULT_MODEL


def batch(k: int, n: int = 8) -> list[dict]:
    rows = []
    for i in range(n):
        name = f"Zorblax{k}x{i} Quintavell{k}y{i}"  # new words in every batch
        text = (f"{name} opened the Vantrexo{k}z{i} bridge in Ulmbridge{k}w{i} on Monday.\n\n"
                f"“It took years,” {name} said.")
        rows.append({"article_id": f"a{k}-{i}", "text": text, "language": "en", "dt": "2026-03-01",
                     "_raw": {"source_uri": f"m{k}-{i}", "payload": text.encode()}})
    return rows


def run(fn: AnnotateArticles, rows: list[dict]) -> tuple[list[dict], list[dict]]:
    articles, entities = [], []
    for out in fn.process(rows):
        if isinstance(out, pvalue.TaggedOutput):
            if out.tag == ENTITIES:
                entities.append(out.value)
        else:
            articles.append(out)
    return articles, entities


def test_vocabulary_does_not_grow_with_new_words_and_rows_stay_whole():
    fn = AnnotateArticles(DEFAULT_MODEL, DEFAULT_COMPONENTS, batch_size=8)
    fn.setup()
    vocab = fn.nlp.vocab
    run(fn, batch(0))  # warm-up: anything the pipeline adds once for good
    strings = len(vocab.strings)
    for k in range(1, 4):
        articles, entities = run(fn, batch(k))
        assert len(articles) == 8 and all(a["nlp_status"] == "ok" for a in articles)
        by_id = {a["article_id"]: a for a in articles}
        people = [e for e in entities if e["label"] == "PERSON"]
        assert people, "the new names must still be found"
        for e in entities:  # the rows' strings outlive the zone that made them
            assert by_id[e["article_id"]]["text"][e["start_char"]:e["end_char"]] == e["text"]
        assert any(e["text"].startswith(f"Zorblax{k}x") for e in people)
        assert len(vocab.strings) == strings, f"the string store grew after batch {k}"
        # len(vocab) counts lexemes ever created (spaCy does not decrement it when a zone ends); what
        # matters is that the new words' lexemes are out of the vocab's index.
        assert not any(f"{w}{k}x{i}" in vocab or f"{w}{k}x{i}" in vocab.strings
                       for w in ("Zorblax",) for i in range(8))
