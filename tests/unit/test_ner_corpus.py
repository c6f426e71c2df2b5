"""NewsFANE -> ANERcorp conventions (``enricher.ner.corpus``), on sentences written for this test."""

from __future__ import annotations

from enricher.ner import corpus


def _sent(text: str) -> corpus.Sentence:
    """``word/TAG`` items (``O`` when no tag is given)."""
    out = []
    for item in text.split(" "):
        tok, _, tag = item.partition("/")
        out.append((tok, tag or "O"))
    return out


def _tags(sents: list[corpus.Sentence]) -> list[str]:
    return [f"{t}/{y}" for s in sents for t, y in s]


def test_misc_vocabulary_takes_one_word_chunks_and_repeated_phrases():
    sents = [
        _sent("بلغ 5 دولار/B-MISC و بطولة/B-MISC العالم/I-MISC"),
        _sent("نحو دولار/B-MISC في بطولة/B-MISC العالم/I-MISC"),
        _sent("بطولة محلية في الحرب/B-MISC العالمية/I-MISC الأولى/I-MISC"),
    ]
    words, phrases = corpus.anercorp_misc_vocabulary(sents)
    # بطولة heads longer chunks: never a one-word MISC; the war phrase is seen once only
    assert words == frozenset({"دولار"})
    assert phrases == frozenset({("بطوله", "العالم")})


def test_group_mentions_become_o_with_clitics_and_broken_plurals():
    raw = [
        _sent("و/O المسلمين/B-MISC ل/O اليهود/B-MISC الروس/B-MISC قريش/B-MISC نيسان/B-MISC"),
    ]
    out = corpus.newsfane_to_anercorp(raw)
    assert _tags(out) == [
        "والمسلمين/O",
        "لليهود/O",
        "الروس/O",
        "قريش/B-MISC",  # indefinite, not a listed group or nisba: kept
        "نيسان/B-MISC",  # a car maker (product): kept
    ]


def test_anercorp_misc_words_and_phrases_are_marked_in_newsfane():
    raw = [_sent("انتهت الحرب العالمية الاولى و بطولة العالم ب 5 دولار")]
    words = frozenset({"دولار"})
    phrases = frozenset({("الحرب", "العالميه", "الاولي"), ("بطوله", "العالم")})
    out = corpus.newsfane_to_anercorp(raw, words, phrases)
    assert _tags(out) == [
        "انتهت/O",
        "الحرب/B-MISC",
        "العالمية/I-MISC",
        "الاولى/I-MISC",
        "وبطولة/B-MISC",
        "العالم/I-MISC",
        "ب/O",
        "5/O",
        "دولار/B-MISC",
    ]


def test_clitics_inside_a_chunk_join_their_word():
    raw = [_sent("رواية اللص/B-MISC و/I-MISC الكلاب/I-MISC و اولاد/B-MISC حارة/I-MISC نا/I-MISC")]
    out = corpus.newsfane_to_anercorp(raw)
    assert _tags(out) == ["رواية/O", "اللص/B-MISC", "والكلاب/I-MISC", "واولاد/B-MISC", "حارتنا/I-MISC"]
