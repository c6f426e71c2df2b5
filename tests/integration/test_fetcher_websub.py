"""WebSub push through the real fetcher process (``python -m fetcher run``) into a real Kafka.

The site advertises its hub; the poll interval is 300 s, so after the first poll and the catch-up
poll that follows the verification every later article can only arrive by push. Audited: every
released article on the raw topic exactly once with the source's name and its URL, the feed
requested twice, /readyz reporting the active subscription, /metrics counting the accepted
notifications, and a clean SIGTERM.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from akhbar.messages import RawArticle, decode
from tests.faults.audit import read_topic_to_end
from tests.faults.procs import Names, Pipeline, free_port
from tests.faults.site import StreamSite

pytestmark = pytest.mark.kafka


def test_pushed_articles_reach_the_raw_topic_once_each(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path
) -> None:
    names = Names(unique_name)
    port = free_port()
    with StreamSite(n=30, rate_per_s=5, hub=True) as site:
        sources = (
            f"sources:\n  - name: pushed\n    kind: feed\n    urls: ['{site.base}/feed.rss']\n"
            "    allow_private_addresses: true\n    poll_interval_s: 300\n    rate_limit_per_s: 1000\n"
        )
        pipeline = Pipeline(
            names,
            kafka=kafka_bootstrap,
            es_url="http://127.0.0.1:1",  # the fetcher never talks to Elasticsearch
            work=tmp_path,
            sources_yaml=sources,
            extra_env={
                "AKHBAR_WEBSUB_CALLBACK_URL": f"http://127.0.0.1:{port}/websub",
                "AKHBAR_WEBSUB_HOST": "127.0.0.1",
                "AKHBAR_WEBSUB_PORT": str(port),
            },
        )
        site.begin()
        fetcher = pipeline["fetcher"]
        try:
            pipeline.start("fetcher")
            pipeline.wait_ready("fetcher", timeout_s=60)
            hub = site.hub
            assert hub is not None
            pipeline.wait(lambda: len(hub.active()) == 1, 30, "the hub's verified subscription")
            pipeline.wait(site.done_releasing, 30, "the site's last release")
            pipeline.wait(
                lambda: len(read_topic_to_end(kafka_bootstrap, names.raw, 5)) >= 30, 30, "30 articles"
            )
            code, ready = fetcher.readyz()
            assert code == 200 and isinstance(ready, dict)
            assert ready["websub"] == {
                "pending": 0,
                "active": 1,
                "failed": 0,
                "denied": 0,
                "unsubscribing": 0,
            }
            _, metrics = fetcher.metrics()
            accepted = [
                line
                for line in metrics.splitlines()
                if line.startswith("akhbar_fetcher_websub_notifications_total{")
                and 'outcome="accepted"' in line
            ]
            assert accepted and float(accepted[0].rsplit(" ", 1)[1]) >= 1
            assert 'akhbar_fetcher_websub_subscriptions{status="active"} 1.0' in metrics
        finally:
            stopped = pipeline.stop()
        assert stopped["fetcher"][0] == 0, fetcher.log_tail()
        records = read_topic_to_end(kafka_bootstrap, names.raw, 5)
        articles = [decode(RawArticle, r.value) for r in records]
        urls = [a.fetched_url for a in articles]
        assert sorted(urls) == [f"{site.base}/a/{i:05d}.html" for i in range(30)]
        assert {a.source for a in articles} == {"pushed"}
        assert [r.key.decode() for r in records] == [a.id for a in articles]
        # the poll that found the hub and the catch-up poll once the hub verified; no third in 300 s
        assert sum(1 for r in site.requests if r.split("?")[0] == "/feed.rss") == 2
        assert read_topic_to_end(kafka_bootstrap, names.dlq("fetcher"), 5) == []
        (sub,) = hub.active()
        assert sub.pushes >= 1 and set(sub.answers) == {202}
        logs = [json.loads(x) for x in fetcher.logs().splitlines() if x.startswith("{")]
        polled = [line for line in logs if line.get("message") == "polled"]
        pushed = [line for line in logs if line.get("message") == "pushed"]
        assert len(polled) == 2  # the same two polls, as the fetcher logged them
        assert sum(line["published"] for line in polled + pushed) == 30
        assert sum(line["published"] for line in pushed) >= 30 - site.rate * 10
