"""bench/results/README.md and its PNG plots, from the results `make bench` gathered (bench.json).

``render`` is pure (unit-tested); ``plots`` draws with matplotlib (the ``bench`` extra).
``python -m bench.report bench/results/bench.json`` redraws both from a saved run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from . import stats

BUDGET_MB = {"fetcher": 300, "enricher": 600, "indexer": 300}
SERVICES = ("fetcher", "enricher", "indexer")
PLOTS = ("throughput_lag.png", "freshness_cdf.png", "rss.png")

# Where each wait of the freshness comes from, and the setting that trades it (README settings table).
WAITS = [
    (
        "feed→fetched",
        "pushed: the hub's notification (the site pushes within 20 ms of a release), the callback's "
        "queue and the page fetch; polled: the wait for the feed's next poll (polls start "
        "`poll_interval_s` apart, or back to back when a poll took longer). Then the page's turn: a "
        "source's pages are fetched a few ahead but published one by one, each awaiting the ack (D7)",
        "`AKHBAR_WEBSUB_CALLBACK_URL` (push on, D22), `poll_interval_s` per source (≥ 5 s; default "
        "300 s), `AKHBAR_FETCH_CONCURRENCY` (8), `AKHBAR_PER_HOST_CONCURRENCY` (2), "
        "`AKHBAR_POLITENESS_DELAY_S` (1 s)",
    ),
    (
        "fetched→raw",
        "from the page's fetch to the raw record's timestamp: extraction ran before, so this is the "
        "publish call (the fetcher's producer lingers 2 ms)",
        "`linger_ms=2` in fetcher/wiring.py (not a setting)",
    ),
    (
        "raw→enriched",
        "the enricher's batch wait (a partial batch is flushed after `within`), enrichment, the produce",
        "`AKHBAR_BATCH_SIZE` (50), `AKHBAR_BATCH_WITHIN_S` (0.2 s)",
    ),
    (
        "enriched→searchable",
        "the indexer's batch wait, the bulk request, then Elasticsearch's refresh (and the probe's 0.2 s)",
        "`AKHBAR_MAX_BATCH_TIME_MS` (250), `AKHBAR_MAX_BATCH_SIZE` (500), `AKHBAR_REFRESH_INTERVAL` (1s)",
    ),
]


def _f(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def freshness_table(phases: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| offered load | articles | not searchable | p50 s | p95 s | p99 s | max s "
        "| after fetch p50 / p99 s | throughput /s | backlog growth /s ≤ tolerance | sustained |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for p in phases:
        f, a, step = p["freshness"], p["after_fetch"], p["step"]
        lines.append(
            f"| {p['label']} | {p['count']:,} | {p['missing']} | {_f(f.get('p50'))} | {_f(f.get('p95'))} "
            f"| {_f(f.get('p99'))} | {_f(f.get('max'))} | {_f(a.get('p50'))} / {_f(a.get('p99'))} "
            f"| {_f(step['throughput'], 1)} "
            f"| {_f(step['backlog_growth'], 2)} ≤ {_f(step.get('tolerance'), 2)} "
            f"| {'yes' if step['sustained'] else '**no**'} |"
        )
    return lines


def waits_table(stage_times: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    loads = list(stage_times)
    lines = [
        "| span | " + " | ".join(f"{load} p50 / p99" for load in loads) + " | what it is "
        "| settings that trade latency for throughput |",
        "| --- | " + " | ".join("---" for _ in loads) + " | --- | --- |",
    ]
    for span, what, knobs in WAITS:
        cells = []
        for load in loads:
            s = stage_times[load].get(span, {})
            cells.append(f"{_f(s.get('p50'))} / {_f(s.get('p99'))}")
        lines.append(f"| {span} | " + " | ".join(cells) + f" | {what} | {knobs} |")
    return lines


def saturation_line(
    phases: list[dict[str, Any]], series: list[dict[str, Any]] | None = None, t0: float | None = None
) -> str:
    phases = [p for p in phases if p.get("delivery", "push") == "push"]  # the polled load is a comparison
    steps = [stats.Step(p["rate"], p["step"]["backlog_growth"], p["step"]["throughput"]) for p in phases]
    best = stats.saturation(steps)
    top = max((s.rate for s in steps), default=0.0)
    if best is None:
        return "Saturation: not even the lowest offered load was sustained."
    if best >= top:
        return (
            f"Saturation: every offered load was sustained, up to {best:g} articles/s; "
            "the limit is above that (not bounded by this run)."
        )
    first_fail = min((s for s in steps if not s.sustained() and s.rate > best), key=lambda s: s.rate)
    where = ""
    if series is not None and t0 is not None:
        phase = next(p for p in phases if p["rate"] == first_fail.rate)
        split = stats.backlog_split(series, phase["start"] - t0, phase["release_end"] - t0)
        if split:
            where = (
                f" The backlog waited in the fetcher (released, not yet on the raw topic: mean "
                f"{split['fetcher']:,.0f} articles), in the enricher's lag ({split['enricher']:,.0f}) and "
                f"the indexer's ({split['indexer']:,.0f})."
            )
    return (
        f"Saturation: **{best:g} articles/s** sustained (backlog not growing); at {first_fail.rate:g}/s the "
        f"backlog grew by {first_fail.backlog_growth:.1f}/s and {first_fail.throughput:.1f}/s became "
        "searchable." + where
    )


def cost_rows(phases: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """(process, articles per CPU-second, articles/day per core) over every load of the run."""
    sustained = [p for p in phases if p["label"].endswith("/s")]
    articles = sum(p["count"] - p["missing"] for p in sustained)
    if not articles:
        return []
    names: list[str] = []
    for p in sustained:
        names += [n for n in p["cpu_s"] if n not in names]
    rows = []
    for name in names:
        cpu = sum(p["cpu_s"].get(name, 0.0) for p in sustained)
        if cpu > 0:
            rows.append((name, articles / cpu, stats.per_day_per_core(articles, cpu)))
    return rows


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    mode = "QUICK (`make bench QUICK=1`, short loads: a development figure)" if r["quick"] else "full"
    lines = [
        "# `make bench`: freshness, each stage beside its limit, memory",
        "",
        f"Generated by `{r['command']}` ({mode}) on {r['started']} in {r['duration_s']:.0f} s, "
        f"commit {m['commit']}. Rerun: `make bench` (≤ 20 min) or `make bench QUICK=1` (≤ 5 min); "
        "the plots and this page are regenerated each time (raw figures in `bench.json`).",
        "",
        "## Commands",
        "",
        "- `make bench` — this page, full size (its own stack in `.stack-bench` on ports "
        "29092/29093/29200/29300, started and stopped by the run unless one is already up there; "
        "override with `BENCH_STACK_DIR`, `BENCH_KAFKA_PORT`, `BENCH_KAFKA_CONTROLLER_PORT`, "
        "`BENCH_ES_PORT`, `BENCH_ES_TRANSPORT_PORT`)",
        "- `make bench QUICK=1` — the same, short (development figures); `BENCH_OUT=dir` writes the page, "
        "plots and `bench.json` there instead of `bench/results`",
        '- `make bench BENCH_ENV="AKHBAR_MAX_BATCH_TIME_MS=1000 AKHBAR_BATCH_WITHIN_S=0.5"` — the same '
        "with settings given to the three services",
        "- `.venv/bin/python -m bench.report bench/results/bench.json` — redraw this page and the plots",
        "- the stages alone, against any stack: `bench/enricher_speed.py --n 1000 --warmup 1000`, "
        "`bench/indexer_speed.py`, `bench/extract_speed.py`",
        "",
        "Services' settings for this run: "
        + (
            ", ".join(f"`{k}={v}`" for k, v in r["settings"].get("service_env", {}).items())
            or "the shipped defaults (plus the site's needs below)"
        )
        + ".",
        "",
        "## Machine",
        "",
        f"- {m['cores']} cores, {m['cpu']}; Python {m['python']}, Java {m['java']}, Kafka {m['kafka']}, "
        f"Elasticsearch {m['elasticsearch']} (one broker, one node, on the same cores as the services)",
        f"- load average at start {m['load_start']}, at the end {m['load_end']}. "
        + (
            "**The machine was shared with other jobs during this run** (other sessions' stacks and "
            "training): absolute figures are low and noisy; the ratios measured side by side carry over."
            if m.get("shared") is True
            else "Nothing else ran on the machine (recorded by whoever ran it: `machine.shared` in "
            "bench.json)."
            if m.get("shared") is False
            else "Whether other work shared the machine is not recorded: read the load averages "
            "(the pipeline itself keeps about 2 busy)."
        ),
        "",
        "## End-to-end freshness",
        "",
        "Time from an article's first appearance in the feed (the offline site publishes it at a known "
        "time) until a search from a separate process finds it (an `ids` query, so after a refresh), "
        "per offered load. The site runs a WebSub hub, as a publisher's CMS does, and pushes each "
        "release to the fetcher's callback (D22); the row *polled* is the same load with the hub paused, "
        "so the fetcher finds the articles only by polling (poll interval "
        f"{r['settings']['poll_interval_s']:g} s, the least a sources file allows). *After fetch* leaves "
        "out the wait before the page's fetch. The pipeline: fetcher, enricher, indexer "
        "as real processes with their shipped settings, except what one loopback host standing for "
        f"{r['settings'].get('sources', 1)} sites needs: one feed per source, no politeness delay, no cap "
        "on articles per poll, and 2 concurrent requests per source (`AKHBAR_PER_HOST_CONCURRENCY` = 2 × "
        "sources). Each feed lists its newest articles (about four poll intervals' worth).",
        "",
        *freshness_table(r["phases"]),
        "",
        saturation_line(r["phases"], r.get("series"), r.get("t0")),
        "",
        "![throughput and lag](throughput_lag.png)",
        "",
        "![freshness CDF](freshness_cdf.png)",
        "",
        "## Where the time goes",
        "",
        "Per article, from the records' own timestamps (the page's `fetched_at`, the raw and enriched "
        "records' Kafka timestamps, the probe's sighting); p50 / p99 seconds per offered load:",
        "",
        *waits_table(r["stage_times"]),
    ]
    page = r.get("site_page_ms") or {
        k: (v * 1000 if k != "n" else v) for k, v in (r.get("site_page_s") or {}).items()
    }  # site_page_s: the runs before 2026-12-02 05:20, in seconds rounded to 1 ms
    if page.get("n"):
        lines += [
            "",
            f"The offline site answered its {page['n']:,} page requests in p50 "
            + (f"{page['p50']:.1f} ms" if page["p50"] >= 0.05 else "< 1 ms")
            + f", "
            f"p99 {page['p99']:.1f} ms (its own handler time; it shares this process with the probe): "
            "it is not what the fetcher waits for.",
        ]
    st = r["stages"]
    lines += ["", "## Each stage beside its limit (same run, same bytes)", ""]
    lines += ["| stage | ours | its limit | ratio |", "| --- | --- | --- | --- |"]
    if "kafka" in st:
        k = st["kafka"]
        lines.append(
            f"| Kafka (raw messages, {k['mean_kb']:.1f} KB) | – "
            f"| produce {k['produce_msgs_per_s']:,.0f} msg/s "
            f"({k['produce_mb_per_s']:.1f} MB/s), consume {k['consume_msgs_per_s']:,.0f} msg/s "
            f"({k['consume_mb_per_s']:.1f} MB/s) | – |"
        )
    if "faust" in st:
        fa = st["faust"]
        lines.append(
            f"| enricher on the stream (articles per CPU-s) | {fa['enricher']['articles_per_cpu_s']:,.1f} "
            f"| pass-through faust agent {fa['passthrough']['articles_per_cpu_s']:,.1f} "
            f"| {_f(fa['ratio'], 3)}× |"
        )
    if "indexer" in st:
        ix = st["indexer"]
        lines.append(
            f"| indexer (docs/s, {ix['docs']:,} docs of {ix['mean_kb']:.1f} KB) "
            f"| {ix['indexer_docs_per_s']:,.0f} "
            f"| raw `helpers.bulk` {ix['raw_bulk_docs_per_s']:,.0f} | {ix['ratio']:.2f}× |"
        )
    if "extract" in st:
        ex = st["extract"]
        lines.append(
            f"| fetcher's extraction (pages per CPU-s) | {ex['extract_article']['pages_per_cpu_s']:,.0f} "
            f"| plain trafilatura {ex['trafilatura.extract']['pages_per_cpu_s']:,.0f} "
            f"(with our options {ex['trafilatura (precision)']['pages_per_cpu_s']:,.0f}) "
            f"| {ex['ratio_defaults']:.2f}× ({ex['ratio_precision']:.2f}×) |"
        )
    if "breakdown" in st:
        b = st["breakdown"]
        lines += [
            "",
            f"Where the enricher's CPU goes, per article ({b['articles']:,} articles after a warm-up, one "
            f"process; {b['articles_per_cpu_s']:,.1f} articles per CPU-s in all):",
            "",
            "| part | ms per article | share |",
            "| --- | --- | --- |",
            *(
                f"| {k} | {v:.2f} | {b['share'][k]:.0%} |"
                for k, v in sorted(b["ms_per_article"].items(), key=lambda kv: -kv[1])
            ),
        ]
    lines += [
        "",
        "## Memory",
        "",
        "| service | peak RSS MB (VmHWM) | budget MB | within |",
        "| --- | --- | --- | --- |",
    ]
    for name in SERVICES:
        peak = r["peak_rss_mb"].get(name)
        budget = BUDGET_MB[name]
        ok = "yes" if peak is not None and peak <= budget else "**no**"
        lines.append(f"| {name} | {_f(peak, 1)} | {budget} | {ok} |")
    lines += ["", "![RSS over time](rss.png)", "", "## Cost", ""]
    rows = cost_rows(r["phases"])
    if rows:
        lines += [
            "CPU time of each process over the offered loads (from each load's start until its drain), "
            "per article made searchable (a process's whole CPU, idle polling included, so low loads "
            "overstate the cost; on a shared machine other jobs' contention inflates it too):",
            "",
            "| process | articles per CPU-s | articles/day per core |",
            "| --- | --- | --- |",
            *(f"| {n} | {a:,.1f} | {d:,.0f} |" for n, a, d in rows),
        ]
    if r.get("store_bytes_per_doc"):
        lines += [
            "",
            f"Elasticsearch store of this run's index: {r['store_bytes_per_doc']:,} bytes per Lucene "
            "document (primaries, after refresh, unmerged; the generated stories are short and "
            "repetitive, so they compress far better than news).",
        ]
    store = st.get("store")
    if store:
        per_m = store["merged_bytes_per_article"] * 1e6 / 1e9
        lines += [
            "",
            f"Real news text ({store['articles']:,} articles of the topic corpus, "
            f"{store['text_bytes_per_article']:,} bytes of title and body each, bulk-indexed into the real "
            f"template): {store['unmerged_bytes_per_article']:,} bytes per article after refresh, "
            f"{store['merged_bytes_per_article']:,} merged to one segment → **{per_m:.1f} GB per million "
            "articles** per copy (× (1 + replicas); leave headroom for merges).",
        ]
    lines.append("")
    return "\n".join(lines)


def plots(r: dict[str, Any], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = r["series"]
    t = [s["t"] for s in series]
    made: list[Path] = []

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6.5), sharex=True)
    for key, label in (
        ("released", "released by the site"),
        ("raw_end", "fetched (raw topic)"),
        ("enriched_end", "enriched"),
        ("visible", "searchable"),
    ):
        points = stats.rates([(s["t"], s[key]) for s in series], 5.0)
        ax1.plot([p[0] for p in points], [p[1] for p in points], label=label)
    ax1.set_ylabel("articles/s (5 s windows)")
    ax1.legend(loc="upper left", fontsize=7, ncol=4)
    for p in r["phases"]:
        ax1.axvspan(p["start"] - r["t0"], p["release_end"] - r["t0"], alpha=0.08, color="grey")
        ax1.text(p["start"] - r["t0"], 0.0, p["label"], fontsize=7, va="bottom")
    nan = float("nan")  # a sample whose group offsets could not be read: a gap, not a zero
    ax2.plot(
        t,
        [s["enricher_lag"] if s["enricher_lag"] >= 0 else nan for s in series],
        label="enricher consumer lag",
    )
    ax2.plot(
        t, [s["indexer_lag"] if s["indexer_lag"] >= 0 else nan for s in series], label="indexer consumer lag"
    )
    ax2.plot(t, [s["released"] - s["visible"] for s in series], label="released, not yet searchable", ls="--")
    ax2.set_ylabel("messages")
    ax2.set_xlabel("seconds since the services started")
    ax2.legend(loc="upper left", fontsize=8)
    fig.suptitle("Throughput and lag over the run")
    fig.tight_layout()
    made.append(out / PLOTS[0])
    fig.savefig(made[-1], dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 5))
    for p in r["phases"]:
        lat = sorted(p["latencies"])
        if lat:
            line = ax.plot(
                lat, [(i + 1) / len(lat) for i in range(len(lat))], label=f"{p['label']} (n={len(lat)})"
            )
            after = sorted(p.get("after_fetch_latencies", []))
            if after:
                ax.plot(
                    after,
                    [(i + 1) / len(after) for i in range(len(after))],
                    ls="--",
                    lw=1,
                    color=line[0].get_color(),
                )
    ax.set_xlabel(
        "seconds to searchable: from first appearance in the feed (solid), from the page's fetch (dashed)"
    )
    ax.set_ylabel("fraction of articles")
    ax.axvline(3.0, color="grey", ls=":", lw=1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Freshness CDF per offered load")
    fig.tight_layout()
    made.append(out / PLOTS[1])
    fig.savefig(made[-1], dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for name in SERVICES:
        line = ax.plot(t, [s["rss_mb"].get(name, 0.0) for s in series], label=name)
        ax.axhline(BUDGET_MB[name], color=line[0].get_color(), ls=":", lw=1)
    ax.set_xlabel("seconds since the services started")
    ax.set_ylabel("RSS MB (dotted: budget)")
    ax.legend(fontsize=8)
    ax.set_title("Resident memory of each service")
    fig.tight_layout()
    made.append(out / PLOTS[2])
    fig.savefig(made[-1], dpi=90)
    plt.close(fig)
    return made


def write(r: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(r, ensure_ascii=False, indent=None) + "\n", encoding="utf-8")
    plots(r, out)
    (out / "README.md").write_text(render(r), encoding="utf-8")


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/bench.json")
    results = json.loads(path.read_text(encoding="utf-8"))
    plots(results, path.parent)
    (path.parent / "README.md").write_text(render(results), encoding="utf-8")
