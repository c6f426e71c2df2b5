"""Enricher throughput per core and peak memory, side by side with a pass-through agent.

Two measurements in one run:
1. in-process: CPU time of ``ArticleEnricher.enrich`` over N ~400-word Arabic articles
   (articles/s per core = N / CPU seconds, one thread);
2. on the stream: the real enricher worker process and a pass-through faust worker
   (same topics, batching and acks) each consume the same N raw messages from real
   Kafka; we report each process's articles per CPU-second after its first output
   (start-up and model loading excluded), wall time, peak RSS (VmHWM) and the ratio
   enricher / pass-through. Per CPU-second = per core: one faust worker is one process,
   and `make run` / compose run one worker per core.

Cold vs steady state: the NER tagger caches each word's feature weights the first time it
sees the word, so a fresh process is slower than one that has been running. With
``--warmup W`` the first W articles (distinct from the measured ones) are processed and not
counted; both figures are printed (cold = from the first article, steady = after W).

Articles come from ../shared/data/topics/train.jsonl when present (cut or repeated to
~400 words), else from the bundled demo site. Needs Kafka (KAFKA_BOOTSTRAP_SERVERS,
default 127.0.0.1:9092). Rerun:  .venv/bin/python bench/enricher_speed.py --n 1000 --warmup 1000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))

from akhbar.kafka import ensure_topics, make_producer  # noqa: E402
from akhbar.messages import RawArticle, article_id, encode  # noqa: E402
from akhbar.settings import CommonSettings  # noqa: E402


def load_texts(n: int, words: int) -> list[tuple[str, str]]:
    corpus = ROOT.parent / "shared" / "data" / "topics" / "train.jsonl"
    texts: list[tuple[str, str]] = []
    if corpus.exists():
        with corpus.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                title, _, body = row["text"].partition("\n")
                if len(body.split()) >= 150:
                    texts.append((title, body))
                if len(texts) >= n:
                    break
    else:
        for page in sorted((ROOT / "deploy/demo/site/articles").glob("*.html")):
            html = page.read_text(encoding="utf-8")
            title = re.search(r"<h1>(.*?)</h1>", html).group(1)  # type: ignore[union-attr]
            body = " ".join(re.findall(r"<p>(.*?)</p>", html))
            texts.append((title, body))
    out = []
    for i in range(n):
        title, body = texts[i % len(texts)]
        tokens = body.split()
        while len(tokens) < words:
            tokens += tokens
        out.append((title, " ".join(tokens[:words])))
    return out


def raw_articles(texts: list[tuple[str, str]]) -> list[RawArticle]:
    now = datetime(2026, 2, 4, tzinfo=UTC)
    arts = []
    for i, (title, body) in enumerate(texts):
        url = f"https://bench.example.org/{i}"
        arts.append(
            RawArticle(
                id=article_id(url),
                url=url,
                source="bench",
                title=title,
                body=body,
                fetched_at=now,
                revision=1,
                tags=[],
            )
        )
    return arts


def in_process(arts: list[RawArticle], warmup: int) -> dict[str, float]:
    from enricher.enrich import ArticleEnricher
    from enricher.language import warm_up

    enricher = ArticleEnricher.load()
    warm_up()
    enricher.enrich(arts[0])
    start = time.process_time()
    for a in arts[:warmup]:
        enricher.enrich(a)
    mid = time.process_time()
    for a in arts[warmup:]:
        enricher.enrich(a)
    end = time.process_time()
    measured = len(arts) - warmup
    out = {
        "articles": measured,
        "cpu_s": round(end - mid, 2),
        "articles_per_cpu_s": round(measured / (end - mid), 1),
    }
    if warmup:
        out["cold_articles_per_cpu_s"] = round(len(arts) / (end - start), 1)
    return out


def _proc_stats(pid: int) -> tuple[float, int]:
    """(CPU seconds user+sys, peak RSS bytes) of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks
    hwm = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            hwm = int(line.split()[1]) * 1024
    return cpu, hwm


def _end_total(servers: str, topic: str) -> int:
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(bootstrap_servers=servers.split(","))
    try:
        parts = c.partitions_for_topic(topic) or set()
        return sum(c.end_offsets([TopicPartition(topic, p) for p in parts]).values()) if parts else 0
    finally:
        c.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def on_stream(kind: str, servers: str, src: str, n: int, tag: str, warmup: int = 0) -> dict[str, float]:
    dst = f"{tag}.{kind}.out"
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": servers, "PYTHONUNBUFFERED": "1"}
    if kind == "enricher":
        env.update(
            {
                "AKHBAR_TOPIC_RAW": src,
                "AKHBAR_TOPIC_ENRICHED": dst,
                "AKHBAR_TOPIC_DLQ_ENRICHER": f"{dst}.dlq",
                "AKHBAR_APP_ID": f"{tag}-enricher",
                "AKHBAR_DATA_DIR": f"/tmp/{tag}-enricher",
            }
        )
        cmd = [
            sys.executable,
            "-m",
            "enricher",
            "worker",
            "--loglevel",
            "warn",
            "--web-port",
            str(_free_port()),
        ]
    else:
        env.update(
            {
                "BENCH_SRC": src,
                "BENCH_DST": dst,
                "BENCH_APP_ID": f"{tag}-passthrough",
                "BENCH_DATA_DIR": f"/tmp/{tag}-passthrough",
                "BENCH_WEB_PORT": str(_free_port()),
            }
        )
        cmd = [sys.executable, "-m", "faust", "-A", "passthrough_app", "worker", "--loglevel", "warn"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT / ("bench" if kind != "enricher" else "."),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    start = time.monotonic()
    first: tuple[float, float, int] | None = None  # (time, CPU, done) when the first output appeared
    warm: tuple[float, float, int] | None = None  # the same once `warmup` articles are out
    cpu = hwm = 0.0
    try:
        while True:
            done = _end_total(servers, dst)
            cpu, hwm_i = _proc_stats(proc.pid)
            hwm = max(hwm, hwm_i)
            if first is None and done > 0:
                first = (time.monotonic(), cpu, done)  # start-up (model loading, joins) ends here
            if warm is None and done >= max(warmup, 1):
                warm = (time.monotonic(), cpu, done)
            if done >= n:
                break
            if proc.poll() is not None or time.monotonic() - start > 900:
                raise RuntimeError(f"{kind} worker stopped or timed out at {done}/{n}")
            time.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert first is not None and warm is not None
    cold = n - first[2]
    cold_cpu = max(cpu - first[1], 1e-3)
    steady = n - warm[2]
    steady_cpu = max(cpu - warm[1], 1e-3)
    return {
        "articles": n,
        "measured_articles": steady,
        "measured_cpu_s": round(steady_cpu, 2),
        "articles_per_cpu_s": round(steady / steady_cpu, 1),
        "cold_articles_per_cpu_s": round(cold / cold_cpu, 1),
        "wall_s_after_first_output": round(time.monotonic() - first[0], 1),
        "peak_rss_mb": round(hwm / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--words", type=int, default=400)
    parser.add_argument(
        "--warmup", type=int, default=0, help="process this many more articles first, not measured"
    )
    parser.add_argument("--skip-stream", action="store_true", help="only the in-process measurement")
    args = parser.parse_args()
    arts = raw_articles(load_texts(args.warmup + args.n, args.words))
    distinct = len({a.body for a in arts})
    print(
        f"articles: {len(arts)} of ~{args.words} words ({distinct} distinct), "
        f"first {args.warmup} not measured"
    )
    pure = in_process(arts, args.warmup)
    print(f"in-process enrich: {pure}")
    if args.skip_stream:
        return
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    tag = f"bench-{uuid.uuid4().hex[:8]}"
    src = f"{tag}.raw"
    settings = CommonSettings(kafka_bootstrap_servers=servers)
    ensure_topics(settings, [src])
    producer = make_producer(settings, client_id="bench")
    for a in arts:
        producer.send(src, key=a.id.encode(), value=encode(a))
    producer.flush()
    producer.close()
    results = {
        kind: on_stream(kind, servers, src, len(arts), tag, args.warmup)
        for kind in ("passthrough", "enricher")
    }
    for kind, r in results.items():
        print(f"{kind:>12}: {r}")
    ratio = results["enricher"]["articles_per_cpu_s"] / results["passthrough"]["articles_per_cpu_s"]
    print(f"enricher / pass-through (articles per CPU-second): {ratio:.2f}")
    print(f"rerun: .venv/bin/python bench/enricher_speed.py --n {args.n} --warmup {args.warmup}")


if __name__ == "__main__":
    main()
