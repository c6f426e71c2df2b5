"""The story stage's cost (D17): the indexer path with stories on vs off, side by side in one run.

``--docs`` enriched articles (bench/indexer_speed.py's ~3 KB articles from the topic corpus's
real Arabic text, all within one story window and sharing two entities: every candidate search
matches) are produced to a fresh topic (not timed). Then, each into fresh indices of the real
templates:

- ``off``: the real ``BatchIndexer`` with ``stories_enabled=False`` (Kafka → bulk → commit);
- ``on``: the same with the story stage (lookup mget, candidate msearch, assignment, story
  document compare-and-set), reading the same topic from offset 0;
- ``off`` again; the mean of the two ``off`` runs is the reference (the machine is shared).

For each: documents per wall second, per CPU second of this process and Elasticsearch's own CPU
(node stats). The enricher path's ratio adds the real enricher's CPU per article (``--enrich``
articles): on a CPU-bound host, articles per CPU-second of enricher + indexer + Elasticsearch,
stories on vs off. Then the stage alone,
in memory (no Elasticsearch): ``StoryStage.decide`` over the same articles with the in-memory
CandidateSource, against a pass-through of the same loop (decode + ``to_document``, which the
indexer does anyway), in articles per CPU second. Goal: ``on`` ≥ 0.8× ``off``.

    .venv/bin/python bench/story_speed.py [--docs 3000] [--batch 500]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from elasticsearch import Elasticsearch
from indexer_speed import DEFAULT_CORPUS, cleanup, make_articles

from akhbar.kafka import DeadLetterPublisher, ensure_topics, make_consumer, make_producer
from akhbar.messages import EnrichedArticle, RawArticle, decode, encode
from akhbar.settings import CommonSettings
from indexer.documents import to_document
from indexer.index_admin import ensure_index
from indexer.pipeline import BatchIndexer
from indexer.settings import IndexerSettings
from indexer.stories.assign import Candidate
from indexer.stories.candidates import InMemoryCandidates
from indexer.stories.similarity import StoryParams
from indexer.stories.stage import StoryStage


def _settings(args: argparse.Namespace, prefix: str, topic: str, *, stories: bool) -> IndexerSettings:
    return IndexerSettings(
        kafka_bootstrap_servers=args.kafka,
        elasticsearch_url=args.es,
        index_prefix=prefix,
        topic_enriched=topic,
        topic_dlq_indexer=f"{topic}.dlq",
        group_id=f"{prefix}-g",
        max_batch_size=args.batch,
        max_batch_time_ms=1000,
        topic_partitions=args.partitions,
        stories_enabled=stories,
    )


def es_cpu_s(es: Elasticsearch) -> float:
    """CPU seconds the Elasticsearch node processes have used so far (their own counter)."""
    nodes = es.nodes.stats(metric="process").body["nodes"].values()
    return sum(n["process"]["cpu"]["total_in_millis"] for n in nodes) / 1000


def through_indexer(es: Elasticsearch, settings: IndexerSettings, n: int) -> tuple[float, float, float]:
    """(wall s, CPU s of this process, CPU s of Elasticsearch) to settle ``n`` messages from offset 0."""
    ensure_index(es, settings)
    consumer = make_consumer(settings, group_id=settings.group_id, client_id="bench-indexer")
    producer = make_producer(settings, client_id="bench-dlq")
    indexer = BatchIndexer(consumer, es, DeadLetterPublisher(producer, settings.topic_dlq_indexer), settings)
    consumer.subscribe([settings.topic_enriched], listener=indexer.rebalance_listener())
    while not consumer.assignment():  # join before the clock starts (a rebalance is not throughput)
        consumer.poll(timeout_ms=100, max_records=1)
    consumer.seek_to_beginning()
    try:
        wall, cpu, es_cpu = time.perf_counter(), time.process_time(), es_cpu_s(es)
        indexer.run(max_messages=n)
        if settings.stories_enabled:  # the story documents are part of the stage's work
            es.indices.refresh(index=settings.stories_index)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        es_cpu = es_cpu_s(es) - es_cpu
    finally:
        consumer.close(autocommit=False)
        producer.close()
    assert indexer.settled == n, indexer.settled
    return wall, cpu, es_cpu


def enricher_cpu_per_article(articles: list[EnrichedArticle], n: int) -> float:
    """CPU seconds per article of the real enricher (language, NER, topics) on ``n`` of them."""
    from enricher.enrich import ArticleEnricher

    enricher = ArticleEnricher.load()
    raws = [
        RawArticle.model_validate(a.model_dump(include=set(RawArticle.model_fields))) for a in articles[:n]
    ]
    enricher.enrich(raws[0])  # warm
    started = time.process_time()
    for raw in raws:
        enricher.enrich(raw)
    return (time.process_time() - started) / len(raws)


def stage_in_memory(values: list[bytes], *, with_stage: bool, batch: int) -> float:
    """CPU seconds for the per-article work of one pass: decode + to_document (+ the stage)."""
    defaults = IndexerSettings()
    params = StoryParams.load()
    k, window = defaults.story_candidates, defaults.story_window_hours
    store = InMemoryCandidates(k=k, window_hours=window, boosts=params.boosts)

    class Lookup:
        def stories_of(self, ids: list[str]) -> dict[str, Candidate]:
            return {c.article_id: c for c in (store.get(i) for i in ids) if c is not None}

    stage = StoryStage(
        params,
        source=store,
        lookup=Lookup(),
        stories_index="bench",
        k=k,
        window_hours=window,
        recent_members=0,  # the store is always current: no unrefreshed window to cover
    )
    started = time.process_time()
    for i in range(0, len(values), batch):
        items = []
        for value in values[i : i + batch]:
            article = decode(EnrichedArticle, value)
            items.append((article, to_document(article)["entity_keys"]))
        if with_stage:
            for (article, keys), d in zip(items, stage.decide(items), strict=True):
                store.add(Candidate(article.id, d.assignment.story_id, d.fingerprint))
                stage.member(article, d, list(keys))
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=3000, help="articles per run")
    parser.add_argument("--batch", type=int, default=500, help="documents per bulk")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--enrich", type=int, default=300, help="articles the enricher's CPU is measured on")
    defaults = CommonSettings()
    parser.add_argument("--es", default=defaults.elasticsearch_url)
    parser.add_argument("--kafka", default=defaults.kafka_bootstrap_servers)
    args = parser.parse_args()

    run = f"bench-stories-{uuid.uuid4().hex[:8]}"
    topic = f"{run}.enriched"
    articles = make_articles(args.corpus, args.docs, args.seed)
    values = [encode(a) for a in articles]
    es = Elasticsearch(args.es, request_timeout=120)
    prefixes = [f"{run}-off1", f"{run}-on", f"{run}-off2"]
    runs = [_settings(args, p, topic, stories=p.endswith("-on")) for p in prefixes]
    try:
        ensure_topics(runs[0], [topic, runs[0].topic_dlq_indexer])
        producer = make_producer(runs[0], client_id="bench-producer")
        for a, v in zip(articles, values, strict=True):
            producer.send(topic, key=a.id.encode(), value=v)
        producer.flush()
        producer.close()
        (off1, off1_cpu, off1_es), (on, on_cpu, on_es), (off2, off2_cpu, off2_es) = (
            through_indexer(es, s, len(values)) for s in runs
        )
        es.indices.refresh(index=runs[1].stories_index)
        stories = int(es.count(index=runs[1].stories_index)["count"])
    finally:
        cleanup(es, prefixes, [topic, runs[0].topic_dlq_indexer], args.kafka)
    enrich_cpu = enricher_cpu_per_article(articles, args.enrich)
    passthrough_cpu = stage_in_memory(values, with_stage=False, batch=args.batch)
    stage_cpu = stage_in_memory(values, with_stage=True, batch=args.batch)
    n = len(values)
    off_wall, off_cpu, off_es = (off1 + off2) / 2, (off1_cpu + off2_cpu) / 2, (off1_es + off2_es) / 2
    print(f"{n} articles, batch {args.batch}, {args.partitions} partitions; {stories} stories formed")
    print(f"{'indexer path':<40} {'docs/s':>8} {'docs/CPU-s':>11}")
    print(f"{'stories off (mean of 2 runs)':<40} {n / off_wall:>8.0f} {n / off_cpu:>11.0f}")
    print(f"  runs: {n / off1:.0f} and {n / off2:.0f} docs/s")
    print(f"{'stories on':<40} {n / on:>8.0f} {n / on_cpu:>11.0f}")
    print(f"ratio on / off: wall {off_wall / on:.2f}x, CPU {off_cpu / on_cpu:.2f}x (goal ≥ 0.8x)")
    print(f"{'in memory: pass-through (decode+doc)':<40} {'':>8} {n / passthrough_cpu:>11.0f}")
    print(f"{'in memory: + story stage':<40} {'':>8} {n / stage_cpu:>11.0f}")
    print(f"ratio stage / pass-through (CPU): {passthrough_cpu / stage_cpu:.2f}x")
    # The enricher path on a CPU-bound host: enricher + indexer + Elasticsearch CPU per article.
    per_off = enrich_cpu + off_cpu / n + off_es / n
    per_on = enrich_cpu + on_cpu / n + on_es / n
    print(
        f"CPU ms per article: enricher {enrich_cpu * 1000:.2f}; indexer {off_cpu / n * 1000:.2f} → "
        f"{on_cpu / n * 1000:.2f}; Elasticsearch {off_es / n * 1000:.2f} → {on_es / n * 1000:.2f}"
    )
    print(
        f"enricher path (enricher + indexer + ES CPU per article), stories on / off: {per_off / per_on:.2f}x "
        f"({1 / per_off:.0f} → {1 / per_on:.0f} articles per CPU-second; goal ≥ 0.8x)"
    )
    print(f"rerun: .venv/bin/python bench/story_speed.py --docs {args.docs} --batch {args.batch}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
