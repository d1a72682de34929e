"""Table of noisy snippets and their expected cleaned text: every category of scraped noise, and
article sentences that look like noise but must stay. Paragraphs are separated by a blank line.

Each case: (id, input text, expected cleaned text, expected metadata or None).
"""

import unicodedata

import pytest

from transforms.clean_text import clean_text

BODY = "The council approved the budget on Monday after a long debate."
MORE = "Opposition members said they would challenge the plan in court."

CASES = [
    # --- counters
    ("counter-bare-numbers", f"0\n41\n\n{BODY}", BODY, None),
    ("counter-comments", f"{BODY}\n\n12 Comments\n\n{MORE}", f"{BODY}\n\n{MORE}", None),
    ("counter-shares-k", f"1.2K shares\n\n{BODY}", BODY, None),
    ("counter-views-label", f"{BODY}\n\nViews: 3,482", BODY, None),
    # --- comment prompts
    ("comments-leave-reply", f"{BODY}\n\nLeave a Reply Cancel reply", BODY, None),
    ("comments-join-conversation", f"{BODY}\n\nJoin the conversation", BODY, None),
    ("comments-tell-us", f"{BODY}\n\nTell us what you think in the comments below!", BODY, None),
    ("comments-closed", f"{BODY}\n\nComments are closed.", BODY, None),
    # --- share prompts
    ("share-buttons", f"Share\nTweet\nEmail\n\n{BODY}", BODY, None),
    ("share-this-article", f"{BODY}\n\nShare this article on Facebook", BODY, None),
    ("share-bulleted-tools", f"- Print Article\n- Order Reprints\n\n{BODY}", BODY, None),
    ("share-like-this-story", f"{BODY}\n\nLike this story? Share it with a friend!", BODY, None),
    ("share-click-to-tweet-suffix", f"{BODY} Click To Tweet", BODY, None),
    # --- newsletter, ads, cookies
    ("newsletter-subscribe", f"{BODY}\n\nSubscribe to our newsletter for daily updates.", BODY, None),
    ("newsletter-sign-up", f"Sign up for the Morning Brief newsletter\n\n{BODY}", BODY, None),
    ("newsletter-appeal", f"{BODY}\n\nIf you enjoyed this article, consider becoming a member today.", BODY, None),
    ("ad-advertisement", f"{BODY}\n\nAdvertisement\n\n{MORE}", f"{BODY}\n\n{MORE}", None),
    ("ad-story-continues", f"{BODY}\n\nStory continues below advertisement\n\n{MORE}", f"{BODY}\n\n{MORE}", None),
    ("cookie-banner", f"We use cookies to improve your experience. By continuing you agree.\n\n{BODY}", BODY, None),
    ("cookie-accept", f"{BODY}\n\nAccept all cookies", BODY, None),
    # --- photo credits and wire credits
    ("credit-photo-paren", f"(Photo: Jane Doe/Reuters)\n\n{BODY}", BODY, None),
    ("credit-image-credit", f"{BODY}\n\nImage credit: NASA/JPL-Caltech", BODY, None),
    ("credit-agency-slash", f"Protesters gather outside parliament. Sam Lee / AFP\n\n{BODY}", BODY, None),
    ("credit-copyright", f"{BODY}\n\n© 2019 Associated Press. All rights reserved.", BODY, None),
    ("credit-reporting-by", f"{BODY}\n\n(Reporting by Ann Smith; Editing by Tom Brown)", BODY, None),
    ("credit-contributed", f"{BODY}\n\nFox News' Jessica Napoli contributed to this report.", BODY, None),
    # --- "Read more" / "Related" lines and link lists
    ("related-read-more", f"{BODY}\n\nRead more: Council votes on budget\n\n{MORE}", f"{BODY}\n\n{MORE}", None),
    ("related-bracketed", f"{BODY}\n\n[Related: Mayor under fire over spending]", BODY, None),
    ("related-header-list", f"{BODY}\n\nDON'T MISS\nMayor resigns [INSIGHT]\nBudget row explained [VIDEO]\n\n{MORE}",
     f"{BODY}\n\n{MORE}", None),
    ("related-you-may-like", f"{BODY}\n\nYou may also like...\n\nTen ways to save on heating\n\nWhy buses run late",
     BODY, None),
    ("related-line-then-bullets", f"{BODY}\n\nRelated: Budget in pictures\n\n- Ten numbers to know\n- Who pays more",
     BODY, None),
    ("related-also-on", f"{BODY}\n\nAlso on rt.com Council member quits over budget", BODY, None),
    ("related-label-url", f"{BODY}\n\nListen: http://po.st/episode_615", BODY, None),
    ("related-tags", f"{BODY}\n\nTags\n\nbudget, council, transport, schools, taxes", BODY, None),
    ("social-follow", f"{BODY}\n\nFollow us on Twitter and Facebook for the latest news.", BODY, None),
    ("social-contact", f"{BODY}\n\nWrite to Al Root at al.root@example.com", BODY, None),
    ("navigation-reading-time", f"4 min read\n\n{BODY}", BODY, None),
    ("navigation-timestamp", f"November 20, 2019 - 11:28 AMT\n\n{BODY}", BODY, None),
    ("navigation-updated", f"Updated: Nov. 19, 2019 at 5:45 p.m.\n\n{BODY}", BODY, None),
    # --- bylines and datelines: metadata, not body
    ("byline-two-authors", f"By Jane Doe and John Roe\n\n{BODY}", BODY, {"authors": ["Jane Doe", "John Roe"]}),
    ("byline-with-date", f"By Maria Garcia | November 19, 2019\n\n{BODY}", BODY, {"authors": ["Maria Garcia"]}),
    ("byline-posted-by", f"Posted by Sam O'Neil\n\n{BODY}", BODY, {"authors": ["Sam O'Neil"]}),
    ("dateline-place-country", f"NAIROBI, Kenya — {BODY}", BODY, {"dateline": "NAIROBI, Kenya"}),
    ("dateline-agency", f"WASHINGTON (Reuters) - {BODY}", BODY, {"dateline": "WASHINGTON"}),
    ("dateline-double-hyphen", f"BERLIN -- {BODY}", BODY, {"dateline": "BERLIN"}),
    # --- repeated caption / standfirst: kept once, the later occurrence
    ("repeat-caption", f"Crowds gathered at the town hall before the vote on Monday.\n\n{BODY}\n\n"
     f"Crowds gathered at the town hall before the vote on Monday.\n\n{MORE}",
     f"{BODY}\n\nCrowds gathered at the town hall before the vote on Monday.\n\n{MORE}", None),
    ("repeat-curly-vs-straight", f"The mayor’s plan “will change the city” for good, aides say.\n\n{BODY}\n\n"
     "The mayor's plan \"will change the city\" for good, aides say.",
     f"{BODY}\n\nThe mayor's plan \"will change the city\" for good, aides say.", None),
    ("repeat-structure-kept", "Q: What inspired you to start cooking seriously?\n\nMy grandmother.\n\n"
     "Q: What inspired you to start cooking seriously?\n\nA trip to Italy.\n\n"
     "Q: What inspired you to start cooking seriously?\n\nMy kids.",
     "Q: What inspired you to start cooking seriously?\n\nMy grandmother.\n\n"
     "Q: What inspired you to start cooking seriously?\n\nA trip to Italy.\n\n"
     "Q: What inspired you to start cooking seriously?\n\nMy kids.", None),
    ("title-repeated-in-body", f"Budget passes after long debate\n\n{BODY}", BODY,
     {"title": "Budget passes after long debate"}),
    # --- encoding, Unicode, whitespace, paragraphs
    ("mojibake-fixed-curly-kept", "The cafÃ© owner said â€œwe donâ€™t knowâ€\x9d.",
     "The café owner said “we don’t know”.", None),
    ("nfc-composed", "Cafe\u0301 Zu\u0308rich opened on Monday.", "Café Zürich opened on Monday.", None),
    ("control-chars-removed", "The council\x00 approved\u200b the budget\x07 on Monday after a long\ufeff debate.",
     BODY, None),
    ("soft-hyphen-removed", "The Notfall\u00addaten\u00adsatz is stored on the card.",
     "The Notfalldatensatz is stored on the card.", None),
    ("whitespace-normalised",
     f"  The council   approved\tthe budget\u00a0on Monday after a long debate.  \n\n\n\n{MORE}",
     f"{BODY}\n\n{MORE}", None),
    ("hard-wrap-rejoined", "The council approved the budget on Monday after a long\ndebate that lasted well into "
     "the night and ended.", "The council approved the budget on Monday after a long debate that lasted well into "
     "the night and ended.", None),
    ("crlf-paragraphs", f"{BODY}\r\n\r\n{MORE}", f"{BODY}\n\n{MORE}", None),
    ("shortcode-tags", f'[caption id="a1" width="300"]{BODY}[/caption]\n\n[embed]{MORE}', f"{BODY}\n\n{MORE}", None),
]


# Article sentences that look like noise and must come out unchanged.
KEEP = [
    ("keep-share-in-sentence", "“We share the concern,” she said."),
    ("keep-read-more-sentence", "Read the report before voting, the chair urged."),
    ("keep-advert-sentence", "The advertisement campaign cost $2 million."),
    ("keep-number-sentence", "Carney said 41 people were hurt."),
    ("keep-by-sentence", "By Monday, officials had cleared the road."),
    ("keep-published-sentence", "Published in 2019, the report found that rents rose by a third in ten years."),
    ("keep-follow-sentence", "Follow-up inspections found no further damage."),
    ("keep-time-sentence", "At 10:30 on 5 May 2019 the bridge was closed."),
    ("keep-email-in-sentence", "Readers can send tips to tips@example.com, the editor said."),
    ("keep-recipe-brackets", "Asparagus and Eggs [1 cup asparagus, 2 poached eggs]"),
    ("keep-editorial-insertion", "“It was on my list [or] on top of it, and [sic] the mayor knew it,” he said."),
    ("keep-comment-sentence", "The minister declined to comment on the leaked memo."),
    ("keep-tweet-signature", "— The Nigerian Senate (@NGRSenate) October 9, 2018"),
]
CASES += [(case_id, text, text, None) for case_id, text in KEEP]


def test_table_is_big_enough_and_ids_unique():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("case_id", "text", "expected", "meta"), CASES, ids=[c[0] for c in CASES])
def test_cleaning_case(case_id, text, expected, meta):
    meta = meta or {}
    cleaned = clean_text(text, title=meta.get("title"))
    assert cleaned.text == unicodedata.normalize("NFC", expected)
    if "authors" in meta:
        assert cleaned.authors == meta["authors"]
    if "dateline" in meta:
        assert cleaned.dateline == meta["dateline"]


def test_removed_lines_are_reported_by_category():
    cleaned = clean_text(f"By Jane Doe\n\n{BODY}\n\nAdvertisement\n\n(Photo: AP)\n\nRead more: Budget row\n\n41")
    assert [category for category, _ in cleaned.removed] == ["byline", "advert", "credit", "related", "counter"]
