"""Who said what: direct, partial and reported speech with speaker attribution, from a parsed Doc.

One module per family of constructions:
  * `direct`   quote marks and direct quotes (which marks belong together, the cue after or before them);
  * `reported` reported speech (a reporting verb's content, "according to", nouns of saying, passives);
  * `transcript` turns of a printed interview ("PENCE: Well, look, ...");
  * `headline` quotes in a title ("Pence: Flowers won't be at debate", "‘Fake news,’ says Trump");
  * `spans`    spans and trimming shared by the rules;
  * `model`    the immutable row model (`Quote`, `Attribution`) and the table rows it becomes;
  * `extract`  the three steps put together.
Word lists and cue types live in `transforms.cues`, quote-mark pairing in `transforms.quote_marks`,
speaker names in `transforms.speakers`.
"""

from transforms.quotes.extract import extract_quotes
from transforms.quotes.headline import title_quotes
from transforms.quotes.model import Attribution, Quote, quote_rows

__all__ = ["Attribution", "Quote", "extract_quotes", "quote_rows", "title_quotes"]
