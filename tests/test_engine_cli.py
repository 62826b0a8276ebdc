"""The engine batch commands end to end on a few records (whole-set evaluation lives in `storyweave eval`)."""

import json

from typer.testing import CliRunner

from storyweave.cli import app

runner = CliRunner()


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + "not json\n", encoding="utf-8")


def test_cluster_writes_one_line_per_article_in_input_order(tmp_path, embedder):
    records = [
        {
            "id": "a",
            "title": "Kim Jong Un oversees missile test",
            "lang": "en",
            "published": "2023-04-12T10:00Z",
        },
        {"id": "b", "title": "Japan approves record budget", "lang": "en", "published": "not a date"},
        {"id": "c", "title": "Kim Jong Un oversees new missile test", "lang": "en", "cluster_id": "ignored"},
        {"id": "a", "title": "Kim Jong Un oversees missile test", "lang": "en"},
    ]
    _write(tmp_path / "in.jsonl", records)
    result = runner.invoke(app, ["cluster", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c", "a"]
    assert lines[0]["story_id"] == lines[3]["story_id"] != lines[1]["story_id"]


def test_similarity_scores_pairs_in_unit_interval(tmp_path, embedder):
    def pair(pair_id: str, other: str, lang: str) -> dict:
        first = {"title1": "Kim oversees missile test", "text1": "", "lang1": "en"}
        return {"pair_id": pair_id, **first, "title2": other, "text2": "", "lang2": lang}

    pairs = [
        pair("1", "Kim Jong Un supervises a missile launch", "en"),
        pair("2", "Japón aprueba un presupuesto", "es"),
    ]
    _write(tmp_path / "pairs.jsonl", pairs)
    result = runner.invoke(
        app, ["similarity", str(tmp_path / "pairs.jsonl"), "--out", str(tmp_path / "s.jsonl")]
    )
    assert result.exit_code == 0, result.output
    scores = {
        r["pair_id"]: r["score"] for r in map(json.loads, (tmp_path / "s.jsonl").read_text().splitlines())
    }
    assert all(0 <= s <= 1 for s in scores.values()) and scores["1"] > scores["2"]


def test_eval_clustering_on_a_small_subset(tmp_path, shared_data, embedder):
    lines = (shared_data / "clustering" / "giveme5w1h.jsonl").read_text(encoding="utf-8").splitlines()[:30]
    (tmp_path / "subset.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "clustering", str(tmp_path / "subset.jsonl")])
    assert result.exit_code == 0, result.output
    assert "B³" in result.output and "stories:" in result.output


def test_stories_lists_the_store(tmp_path, embedder):
    _write(tmp_path / "in.jsonl", [{"id": "x", "title": "Kosovo heads to early election", "source": "RTS"}])
    store = str(tmp_path / "s.db")
    runner.invoke(
        app, ["cluster", str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "o.jsonl"), "--store", store]
    )
    result = runner.invoke(app, ["stories", "--store", store])
    assert result.exit_code == 0 and "1 story in" in result.output and "RTS" in result.output


def test_eval_pairs_skips_unrated_pairs(tmp_path, embedder):
    base = {"title1": "Kim oversees missile test", "text1": "", "lang1": "en", "text2": "", "lang2": "en"}
    pairs = [
        {"pair_id": "1", **base, "title2": "Kim Jong Un supervises a missile launch", "overall": 1.0},
        {"pair_id": "2", **base, "title2": "Japan approves a record budget", "overall": 4.0},
        {"pair_id": "3", **base, "title2": "Kosovo votes early"},
    ]
    _write(tmp_path / "pairs.jsonl", pairs)
    result = runner.invoke(app, ["eval", "pairs", str(tmp_path / "pairs.jsonl")])
    assert result.exit_code == 0, result.output
    assert "1 pairs without a numeric" in result.output and "same event" in result.output


def _two_stories(path, embedder):
    from storyweave.cluster import StoryEngine
    from storyweave.models import Article
    from storyweave.pipeline import Pipeline
    from storyweave.store import SQLiteStore

    with SQLiteStore(path) as store:
        engine = StoryEngine(store, embedder)
        pipeline = Pipeline(store, engine)
        for article in (
            Article("flood", "Floods hit Valencia", "Heavy rain flooded the streets of Valencia.", lang="en"),
            Article("chess", "Chess title decided", "A new chess world champion was crowned.", lang="en"),
        ):
            pipeline.add(article)
        engine.snapshot()
        return store.get_article("flood").story_id, store.get_article("chess").story_id


def test_merge_and_split_commands(tmp_path, embedder):
    from storyweave.store import SQLiteStore

    db = tmp_path / "s.db"
    flood, chess = _two_stories(db, embedder)
    assert flood != chess
    assert runner.invoke(app, ["merge", flood, "--store", str(db)]).exit_code == 2
    missing = runner.invoke(app, ["merge", flood, "st-nope", "--store", str(db)])
    assert missing.exit_code == 1 and "no such story: st-nope" in missing.output
    merged = runner.invoke(app, ["merge", flood, chess, "--store", str(db)])
    assert merged.exit_code == 0, merged.output
    with SQLiteStore(db) as store:
        assert store.get_story(chess) is None and store.get_article("chess").story_id == flood
    bad = runner.invoke(app, ["split", flood, "flood", "chess", "--store", str(db)])
    assert bad.exit_code == 1 and "some, but not all" in bad.output
    result = runner.invoke(app, ["split", flood, "chess", "--store", str(db)])
    assert result.exit_code == 0, result.output
    with SQLiteStore(db) as store:
        new_id = store.get_article("chess").story_id
        assert new_id not in (flood, chess) and store.get_article("flood").story_id == flood
        assert store.get_story(new_id).thread_id == store.get_story(flood).thread_id == flood


def test_a_running_engine_picks_up_another_process_merge(tmp_path, embedder, caplog):
    from storyweave.cluster import StoryEngine
    from storyweave.models import Article
    from storyweave.pipeline import Pipeline
    from storyweave.store import SQLiteStore

    db = tmp_path / "s.db"
    flood, chess = _two_stories(db, embedder)
    with SQLiteStore(db) as serving, SQLiteStore(db) as editing:
        running = StoryEngine(serving, embedder, sync_seconds=0)
        assert set(running.stories) == {flood, chess}
        StoryEngine(editing, embedder).merge(flood, chess)  # as `storyweave merge` would, from elsewhere
        budget = Article("budget", "Japan approves budget", "The cabinet agreed.", lang="en")
        Pipeline(serving, running).add(budget)
        assert "already placed" not in caplog.text  # the reload's catch-up placed it, not a repeated id
        assert serving.get_article("budget").story_id in running.stories
        assert chess not in running.stories and running.stories[flood].profile.n == 2
        running.snapshot()
        assert serving.get_story(chess) is None
