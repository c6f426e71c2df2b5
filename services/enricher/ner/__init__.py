"""Arabic named-entity recognition for the enricher (pure inference, no faust/Kafka).

Model: a linear-chain CRF (python-crfsuite, decoded by ``crf_decode``) over hand-written features
(``features``: one module shared with the training scripts) plus semi-supervised word clusters
learnt from unlabelled Arabic news (``lexicon``), a phrase gazetteer harvested from the same news,
document-context features, document-level label propagation, and a rule layer (``rules/``: small
named rules in one ordered pipeline configured by ``data/rules.json``; word lists and hand
gazetteers are data files under ``data/``). See ``models/ner/MODEL_CARD.md``.

Layout: ``tokens`` (tokeniser, chunks, Span/Entity), ``lexicon`` (news lexicon with named
columns, clitic split), ``features``, ``crf_decode``, ``phrases`` (places/organisations tables),
``rules/``, ``tagger`` (``NerTagger``), ``corpus`` (CoNLL reading and the evaluation splits).

Public API::

    tagger = NerTagger.load()            # default: enricher/models/ner/
    spans = tagger.tag("...")            # list[Span] with char offsets into the text
    ents = tagger.article_entities(title, body)   # merged per-article entities with counts

Normal form (``Span.normalized``): ``normalize_arabic(..., ta_marbuta=False)``
(alef/hamza forms -> ا, ى -> ي, diacritics/tatweel/bidi removed, ة kept), then the
leading proclitics of the *first* token are stripped: conjunction و/ف and
preposition ب/ل/ك; ``لل`` becomes ``ال``; the article ``ال`` itself is kept
(``وبغداد`` -> ``بغداد``, ``للأمم المتحدة`` -> ``الامم المتحدة``, ``بالعراق`` -> ``العراق``).
A prefix is stripped only when the lexicon (word counts from news) says the
shorter form is the usual word (so ``بغداد``, ``لبنان``, ``واشنطن`` stay whole).
"""

from __future__ import annotations

from enricher.ner.features import FeatureExtractor, FeatureWords
from enricher.ner.lexicon import Lexicon
from enricher.ner.tagger import DEFAULT_MODEL_DIR, RULES_VERSION, NerTagger
from enricher.ner.tokens import ENTITY_TYPES, Entity, Span, feat_norm, iob_chunks, merge_mentions, tokenize

__all__ = [
    "DEFAULT_MODEL_DIR",
    "ENTITY_TYPES",
    "RULES_VERSION",
    "Entity",
    "FeatureExtractor",
    "FeatureWords",
    "Lexicon",
    "NerTagger",
    "Span",
    "feat_norm",
    "iob_chunks",
    "merge_mentions",
    "tokenize",
]
