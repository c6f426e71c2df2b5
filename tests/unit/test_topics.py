"""Topic taxonomy, section-name table and the shipped topic model (no network, no Kafka)."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from enricher.taxonomy import (
    ARABIC_LABELS,
    STRONG,
    TOPIC_CODES,
    WEAK,
    section_evidence,
    section_key,
    source_tag_evidence,
)
from enricher.topics import (
    DEFAULT_MODEL_DIR,
    LEXICON_CODES,
    TITLE_REPEAT,
    TopicClassifier,
    TopicScore,
    doc_embedding,
    embedding_tokens,
    featurize,
    featurize_blocks,
    lexicon_features,
)

# One short article per taxonomy code, written for these tests (not from any corpus).
ARTICLES: dict[str, tuple[str, str]] = {
    "politics": (
        "البرلمان يصوت على منح الثقة للحكومة الجديدة",
        "صوت مجلس النواب مساء الثلاثاء بأغلبية مريحة على منح الثقة لحكومة رئيس الوزراء الجديد، "
        "بعد جلسة عامة طويلة شهدت انتقادات من أحزاب المعارضة لبرنامج الحكومة. وقال رئيس الكتلة "
        "البرلمانية للحزب الحاكم إن الائتلاف سيدعم الإصلاحات السياسية، فيما دعت المعارضة إلى "
        "انتخابات تشريعية مبكرة. وأكد وزير الخارجية أن الحكومة ستواصل المشاورات الدبلوماسية مع دول الجوار.",
    ),
    "economy": (
        "البنك المركزي يرفع سعر الفائدة لمواجهة التضخم",
        "قرر البنك المركزي رفع سعر الفائدة الرئيسي بمقدار نصف نقطة مئوية في محاولة للحد من ارتفاع "
        "معدل التضخم الذي بلغ أعلى مستوى له منذ سنوات. وتراجعت أسهم البنوك في البورصة عقب القرار، "
        "فيما توقع خبراء اقتصاديون تباطؤ نمو الناتج المحلي الإجمالي وارتفاع كلفة القروض على الشركات "
        "والمستثمرين، مع استمرار العجز في الميزان التجاري وتراجع سعر صرف العملة المحلية أمام الدولار.",
    ),
    "sports": (
        "المنتخب يتأهل إلى نهائي كأس أفريقيا بعد فوز مثير",
        "تأهل المنتخب الوطني لكرة القدم إلى المباراة النهائية لبطولة كأس أمم أفريقيا بعد فوزه بهدفين "
        "مقابل هدف على منافسه في نصف النهائي. وسجل المهاجم هدف الفوز في الدقيقة الأخيرة من الوقت "
        "الإضافي، وأشاد المدرب بأداء اللاعبين والجماهير التي ملأت مدرجات الملعب. ويلتقي الفريق في "
        "النهائي حامل اللقب يوم الأحد المقبل.",
    ),
    "culture": (
        "افتتاح مهرجان السينما بعرض فيلم روائي جديد",
        "افتتحت مساء أمس الدورة الجديدة من مهرجان السينما الدولي بعرض فيلم روائي طويل للمخرج الشاب، "
        "بحضور عدد كبير من الفنانين والممثلين والنقاد. ويشارك في المسابقة الرسمية عشرون فيلما من "
        "مختلف الدول، إلى جانب عروض مسرحية وحفلات موسيقية ومعرض للفنون التشكيلية وتكريم لعدد من "
        "الكتاب والشعراء الذين أثروا المشهد الثقافي.",
    ),
    "technology": (
        "شركة تطلق هاتفا ذكيا جديدا بتقنيات الذكاء الاصطناعي",
        "كشفت شركة التكنولوجيا عن هاتفها الذكي الجديد الذي يعمل بمعالج أسرع وكاميرا متطورة وتطبيقات "
        "تعتمد على الذكاء الاصطناعي. ويدعم الجهاز شبكات الجيل الخامس للاتصالات ويأتي بنظام تشغيل "
        "محدث وبطارية تدوم أطول، كما أعلنت الشركة عن تحديث للبرمجيات يحسن أمان البيانات على الإنترنت "
        "ويتيح للمستخدمين تحميل التطبيقات من المتجر الإلكتروني.",
    ),
    "health": (
        "دراسة: ممارسة الرياضة تقلل خطر الإصابة بأمراض القلب والسكري",
        "أظهرت دراسة طبية حديثة نشرتها مجلة متخصصة أن المشي نصف ساعة يوميا يقلل خطر الإصابة بأمراض "
        "القلب والسكري وارتفاع ضغط الدم. وقال الأطباء إن النظام الغذائي الصحي والنوم الكافي يعززان "
        "المناعة، ونصحت وزارة الصحة المرضى بمراجعة الطبيب وتلقي اللقاح ضد الإنفلونزا قبل فصل الشتاء "
        "للوقاية من العدوى والفيروسات.",
    ),
    "religion": (
        "ملايين المسلمين يؤدون صلاة عيد الفطر في المساجد",
        "أدى ملايين المسلمين صباح اليوم صلاة عيد الفطر في المساجد والساحات بعد انتهاء شهر رمضان "
        "المبارك وصيام ثلاثين يوما. ودعا الأئمة في خطبة العيد إلى التراحم والتكافل وإخراج زكاة الفطر، "
        "فيما أعلنت دار الإفتاء ثبوت رؤية هلال شوال. وتوافد المصلون على المسجد الكبير لأداء الصلاة "
        "وتلاوة القرآن والدعاء.",
    ),
    "society": (
        "القبض على عصابة سرقة المنازل وحجز مسروقات",
        "تمكنت الوحدات الأمنية بالمدينة من إلقاء القبض على عصابة مختصة في سرقة المنازل تتكون من أربعة "
        "شبان، وحجزت لديهم مصوغا ذهبيا وهواتف جوالة مسروقة. وأفاد مصدر أمني أن الأبحاث انطلقت إثر "
        "شكاية تقدم بها عدد من المتساكنين، وتمت إحالة الموقوفين على النيابة العمومية. كما شهدت الطريق "
        "الرئيسية حادث مرور أسفر عن إصابة ثلاثة أشخاص نقلوا إلى المستشفى الجهوي.",
    ),
}


@pytest.fixture(scope="module")
def clf() -> TopicClassifier:
    if not (DEFAULT_MODEL_DIR / "weights.npz").exists():
        pytest.fail("topic model missing: run `make train-topics`")
    return TopicClassifier().load()


def test_taxonomy_is_fixed() -> None:
    assert TOPIC_CODES == (
        "politics",
        "economy",
        "sports",
        "culture",
        "technology",
        "health",
        "religion",
        "society",
    )
    assert ARABIC_LABELS["politics"] == "سياسة"
    assert ARABIC_LABELS["economy"] == "اقتصاد"
    assert ARABIC_LABELS["sports"] == "رياضة"
    assert ARABIC_LABELS["culture"] == "ثقافة"
    assert ARABIC_LABELS["technology"] == "تكنولوجيا"
    assert ARABIC_LABELS["health"] == "صحة"
    assert ARABIC_LABELS["religion"] == "دين"
    assert ARABIC_LABELS["society"] == "مجتمع"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("سياسة", ("politics", STRONG)),
        ("السياسة", ("politics", STRONG)),
        ("سياسه", ("politics", STRONG)),
        ("أخبار سياسية", ("politics", STRONG)),
        ("رياضة", ("sports", STRONG)),
        ("الرياضة", ("sports", STRONG)),
        ("أخبار الرياضة", ("sports", STRONG)),
        ("أخبار الرياضة العربية", ("sports", STRONG)),
        ("كأس العالم 2026", ("sports", STRONG)),
        ("اقتصاد", ("economy", STRONG)),
        ("الإقتصاد", ("economy", STRONG)),
        ("مال وأعمال", ("economy", STRONG)),
        ("صحة", ("health", STRONG)),
        ("تقنية", ("technology", STRONG)),
        ("علوم وتكنولوجيا", ("technology", STRONG)),
        ("ثقافة وفنون", ("culture", STRONG)),
        ("دين ودنيا", ("religion", STRONG)),
        ("مجتمع", ("society", STRONG)),
        ("Sports", ("sports", STRONG)),
        ("عربي ودولي", ("politics", WEAK)),
        ("الشرق الأوسط", ("politics", WEAK)),
        ("أخبار محلية", None),
        ("منوعات", None),
        ("", None),
        ("كلمة لا علاقة لها", None),
    ],
)
def test_section_table(tag: str, expected: tuple[str, float] | None) -> None:
    assert section_evidence(tag) == expected


def test_section_key_uses_arabic_normalisation() -> None:
    assert section_key("الرِّيَاضَة") == section_key("رياضه") == section_key("  رياضـــة ")
    assert source_tag_evidence(["عربي ودولي", "سياسة", "منوعات"]) == {"politics": STRONG}


@pytest.mark.parametrize("code", list(ARTICLES))
def test_top_label_per_topic(clf: TopicClassifier, code: str) -> None:
    title, body = ARTICLES[code]
    out = clf.classify(title, body, [])
    assert out[0].code == code, out
    assert out[0].evidence == "model"


def test_output_contract(clf: TopicClassifier) -> None:
    title, body = ARTICLES["economy"]
    out = clf.classify(title, body, [])
    assert out, "top label always present"
    assert all(isinstance(t, TopicScore) for t in out)
    assert [t.score for t in out] == sorted((t.score for t in out), reverse=True)
    assert all(0.0 <= t.score <= 1.0 for t in out)
    assert all(t.label_ar == ARABIC_LABELS[t.code] for t in out)
    assert len({t.code for t in out}) == len(out)
    # calibrated probabilities over the codes sum to 1
    assert sum(clf.model_scores(title, body).values()) == pytest.approx(1.0, abs=1e-6)


def test_empty_text_still_has_top_label(clf: TopicClassifier) -> None:
    out = clf.classify("", "", [])
    assert len(out) >= 1 and out[0].code in TOPIC_CODES


def test_source_tag_strong_evidence(clf: TopicClassifier) -> None:
    # A sports article whose page is tagged سياسة: politics is emitted from the tag.
    title, body = ARTICLES["sports"]
    out = {t.code: t for t in clf.classify(title, body, ["سياسة"])}
    assert out["politics"].evidence == "source_tag"
    assert out["politics"].score >= STRONG
    assert out["sports"].evidence == "model"
    # A politics article tagged السياسة: both agree.
    title, body = ARTICLES["politics"]
    top = clf.classify(title, body, ["السياسة"])[0]
    assert top.code == "politics" and top.evidence == "model+source_tag"
    assert top.score >= STRONG


def test_source_tag_decides_vague_text(clf: TopicClassifier) -> None:
    top = clf.classify("تفاصيل جديدة", "أعلن اليوم عن تفاصيل جديدة.", ["رياضة"])[0]
    assert top.code == "sports"
    assert top.evidence in ("source_tag", "model+source_tag")


def test_unmapped_and_weak_tags_do_not_override(clf: TopicClassifier) -> None:
    title, body = ARTICLES["economy"]
    assert clf.classify(title, body, ["أخبار محلية", "منوعات"])[0].code == "economy"
    assert clf.classify(title, body, ["عربي ودولي"])[0].code == "economy"


def test_deterministic(clf: TopicClassifier) -> None:
    title, body = ARTICLES["culture"]
    a = clf.classify(title, body, ["ثقافة"])
    b = TopicClassifier().load().classify(title, body, ["ثقافة"])
    assert a == b
    assert featurize(title, body) == featurize(title, body)


def test_char_ngrams_are_word_bounded() -> None:
    words, chars, n = featurize_blocks("الصحة", "")
    assert n == 1 and "الصحه" in words
    assert " ال" in chars and "حه " in chars and "الصحه" in chars
    assert all(2 < len(c) <= 5 for c in chars)
    assert not any(" " in c.strip() for c in chars)  # never across words


def test_short_post_small_codes(clf: TopicClassifier) -> None:
    # Post-like texts (no title, < 50 tokens) of the two small codes.
    assert (
        clf.classify("", "وزارة الصحة تطلق حملة تطعيم ضد الحصبة للأطفال في المدارس", [])[0].code == "health"
    )
    assert clf.classify("", "ملايين الحجاج يؤدون مناسك الحج ويقفون على جبل عرفات", [])[0].code == "religion"


def test_load_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def _no_net(*_a, **_k):
        raise AssertionError("network access during topic model load")

    monkeypatch.setattr(socket, "socket", _no_net)
    monkeypatch.setattr(socket, "create_connection", _no_net)
    c = TopicClassifier().load()
    title, body = ARTICLES["sports"]
    assert c.classify(title, body, [])[0].code == "sports"


def test_artifact_is_small_and_pickle_free() -> None:
    files = {p.name: p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir() if p.is_file()}
    assert {"vocab.json", "weights.npz", "embeddings.npz", "meta.json", "MODEL_CARD.md"} <= set(files)
    assert sum(files.values()) <= 25 * 1024 * 1024
    assert not any(n.endswith((".pkl", ".pickle", ".joblib")) for n in files)


def test_unloaded_classifier_raises() -> None:
    with pytest.raises(RuntimeError):
        TopicClassifier().classify("a", "b", [])


def test_embedding_tokens_and_doc_embedding() -> None:
    toks = embedding_tokens("الصحة العامة", "وزارة الصحة")
    assert toks == ["الصحه", "العامه"] * TITLE_REPEAT + ["وزاره", "الصحه"]
    vocab = {"الصحه": 0, "وزاره": 1}
    vectors = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    idf = np.array([1.0, 2.0], dtype=np.float32)
    v = doc_embedding(toks, vocab, idf, vectors)
    # "الصحه" 3 times: weight 1 + log 3; "وزاره" once: weight 2; unknown words ignored; unit norm.
    expected = np.array([1.0 + np.log(3.0), 2.0])
    np.testing.assert_allclose(v, expected / np.linalg.norm(expected), rtol=1e-5)
    assert not doc_embedding(["غريب"], vocab, idf, vectors).any()


def test_embedding_block_loaded(clf: TopicClassifier) -> None:
    meta = clf.meta
    assert meta["emb_weight"] > 0 and meta["n_emb_words"] > 1000
    with np.load(DEFAULT_MODEL_DIR / "embeddings.npz", allow_pickle=False) as z:
        assert z["vectors"].dtype == np.float16
        assert z["vectors"].shape == (meta["n_emb_words"], meta["emb_dim"])


def test_lexicon_features() -> None:
    assert LEXICON_CODES == ("health", "religion")
    toks = embedding_tokens("", "ملايين الحجاج يؤدون مناسك الحج في مكة")
    np.testing.assert_allclose(lexicon_features(toks), [0.0, np.log(4.0)])  # الحجاج، الحج، مكة
    toks = embedding_tokens("وزارة الصحة", "حملة تطعيم ضد الحصبة")
    np.testing.assert_allclose(lexicon_features(toks), [np.log(1.0 + 2 * 1 + 2), 0.0])  # title twice
    assert not lexicon_features([]).any()


def test_short_text_stacker_loaded(clf: TopicClassifier) -> None:
    stack = clf.meta["short_stack"]
    k = len(clf.meta["classes"])
    assert tuple(stack["lexicon"]) == LEXICON_CODES
    assert np.asarray(stack["coef"]).shape == (k, k + len(LEXICON_CODES))
    # Long articles do not go through the stacker: the same text scores differently once short.
    post = "وزارة الصحة تطلق حملة تطعيم ضد الحصبة"
    assert clf.model_scores("", post) != clf.model_scores("", " ".join([post] * 10))


def test_edited_lexicon_refuses_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lexicon is code, not artifact: a model fitted with other word lists must not load."""
    import enricher.topics as topics

    assert TopicClassifier().load().loaded
    monkeypatch.setitem(topics.LEXICON, "health", topics.LEXICON["health"] | {"زكام"})
    with pytest.raises(ValueError, match="lexicon"):
        TopicClassifier().load()
