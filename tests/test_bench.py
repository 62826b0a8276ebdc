from storyweave.bench import run_bench


def test_tiny_bench_reports_latency_and_memory(shared_data, embedder):
    results = run_bench([400, 700], embedder, shared_data, sample=100, bases=12)
    assert [r.articles for r in results] == [400, 700]
    for r in results:
        assert 0 < r.p50_ms <= r.p99_ms and r.pipeline_p99_ms >= r.p99_ms * 0.5
        assert r.active_stories > 0 and r.rss_mb > 50
