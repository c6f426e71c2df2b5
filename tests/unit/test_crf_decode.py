"""The numpy CRF decoder against python-crfsuite: same labels, same marginals.

A small CRF is trained here on made-up sequences (so the weights are real CRFsuite weights,
including transitions that matter), then whole batches of sentences of mixed lengths,
including one- and two-token ones, are decoded both ways.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pycrfsuite
import pytest

from enricher.ner import DEFAULT_MODEL_DIR, NerTagger
from enricher.ner.crf_decode import CrfModel
from enricher.ner.tokens import sentences

WORDS = ["زيد", "عمرو", "في", "القاهرة", "عمان", "وزارة", "الخارجية", "قال", "إن", "اليوم"]
TAGS = {
    "زيد": "B-PER",
    "عمرو": "I-PER",
    "القاهرة": "B-LOC",
    "عمان": "B-LOC",
    "وزارة": "B-ORG",
    "الخارجية": "I-ORG",
}


def _feats(toks: list[str]) -> list[list[str]]:
    out = []
    for i, t in enumerate(toks):
        f = ["bias", f"w={t}", f"suf={t[-2:]}"]
        f.append(f"-1:w={toks[i - 1]}" if i else "BOS")
        f.append(f"1:w={toks[i + 1]}" if i + 1 < len(toks) else "EOS")
        out.append(f)
    return out


def _labels(toks: list[str]) -> list[str]:
    labs = []
    for i, t in enumerate(toks):
        lab = TAGS.get(t, "O")
        if lab.startswith("I-") and (not i or labs[-1] == "O"):
            lab = "B-" + lab[2:]  # keep the toy data IOB2-consistent
        labs.append(lab)
    return labs


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = random.Random(7)
    trainer = pycrfsuite.Trainer(verbose=False)
    for _ in range(300):
        toks = [rng.choice(WORDS) for _ in range(rng.randint(1, 9))]
        trainer.append(_feats(toks), _labels(toks))
    trainer.set_params({"c1": 0.01, "c2": 0.01, "max_iterations": 60})
    path = tmp_path_factory.mktemp("crf") / "toy.crfsuite"
    trainer.train(str(path))
    return path


def test_batch_decode_matches_crfsuite(toy_model: Path) -> None:
    model = CrfModel.load(toy_model)
    ref = pycrfsuite.Tagger()
    ref.open(str(toy_model))
    rng = random.Random(11)
    sents = [[rng.choice(WORDS) for _ in range(n)] for n in (1, 2, 7, 0, 3, 12, 1, 5)]
    sents.append(["نص", "لم", "يره", "النموذج"])  # unknown attributes weigh nothing
    k = len(model.labels)
    emissions = [np.array([model.score(f) for f in _feats(s)]).reshape(len(s), k) for s in sents]
    decoded = model.decode(emissions)
    assert len(decoded) == len(sents)
    for toks, (best, marg) in zip(sents, decoded, strict=True):
        if not toks:
            assert best.shape == (0,) and marg.shape == (0, len(model.labels))
            continue
        expected = ref.tag(_feats(toks))
        assert [model.labels[i] for i in best] == expected
        for i in range(len(toks)):
            for j, lab in enumerate(model.labels):
                assert marg[i, j] == pytest.approx(ref.marginal(lab, i), abs=1e-12)
        assert marg.sum(axis=1) == pytest.approx(np.ones(len(toks)))


def test_weights_are_exact_not_the_rounded_dump(toy_model: Path) -> None:
    model = CrfModel.load(toy_model)
    ref = pycrfsuite.Tagger()
    ref.open(str(toy_model))
    info = ref.info()
    for (attr, lab), w in info.state_features.items():
        assert model.state[model.attributes[attr], model.label_index[lab]] == pytest.approx(w, abs=5e-7)
    # the dump rounds to 6 decimals; at least one weight here has more precision than that
    assert any(round(float(w), 6) != float(w) for w in model.state.ravel() if w)


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "model.crfsuite").exists(), reason="NER model artifact missing")
def test_shipped_tagger_numpy_path_equals_crfsuite_path() -> None:
    tagger = NerTagger.load()
    doc = [
        "وصل وزير الخارجية الأمريكي أنتوني بلينكن إلى القاهرة قادما من عمان.",
        "وقال بلينكن إن الولايات المتحدة تدعم جهود الأمم المتحدة. وأكدت وزارة الخارجية المصرية ذلك.",
        "فاز نادي الأهلي على الزمالك بهدفين.",
    ]
    sents = [[t for t, _, _ in s] for text in doc for s in sentences(text)]
    fast = tagger.tag_sentences(sents)
    tagger.crfsuite_decoding = True
    slow = tagger.tag_sentences(sents)
    tagger.crfsuite_decoding = False
    assert [t for t, _ in fast] == [t for t, _ in slow]
    for (_, cf), (_, cs) in zip(fast, slow, strict=True):
        assert cf == pytest.approx(cs, abs=1e-12)
    assert any(t != "O" for tags, _ in fast for t in tags)
    # the compact cache gives the same answer on a second pass, and after starting again
    assert tagger.tag_sentences(sents) == fast
    tagger.max_words = 5
    assert tagger.tag_sentences(sents) == fast
    assert tagger.tag_sentences(sents) == fast
    assert len(tagger._words) <= 5 + sum(len(s) for s in sents)


def test_score_window_equals_shifted_strings(toy_model: Path) -> None:
    model = CrfModel.load(toy_model)
    own = ["bias", "w=زيد", "suf=يد"]
    keep = ["w=زيد", "w=القاهرة", "nope"]
    offsets = (-1, 1, 2)  # the toy model has -1: and 1: attributes, none for 2:
    window = model.score_window(own, keep, offsets)
    expected = model.score_many([own, *[[f"{o}:{x}" for x in keep] for o in offsets]])
    assert window == pytest.approx(expected, abs=1e-12)
    assert window[1].any() and window[2].any() and not window[3].any()
    assert not model.score_window([], ["nope"], offsets).any()


def test_score_many_equals_score_per_list(toy_model: Path) -> None:
    model = CrfModel.load(toy_model)
    lists = [[], ["bias", "w=زيد"], [], ["w=عمان", "nope", "EOS"], ["nope"], []]
    many = model.score_many(lists)
    assert many.shape == (len(lists), len(model.labels))
    for row, attrs in zip(many, lists, strict=True):
        assert row == pytest.approx(model.score(attrs), abs=1e-12)
    assert not many[0].any() and not many[-1].any() and many[1].any()
    assert not model.score_many([[], ["nope"]]).any()
