"""The Python API end to end on the two seeds: ingest, stories, search, report."""

from __future__ import annotations

import pytest

from storyweave import Article, StoryWeave


def test_seeds_through_the_python_api(seeds_dir, tmp_path):
    with StoryWeave(tmp_path / "api.db") as sw:
        summary = sw.ingest(seeds_dir)
        assert (summary.added, summary.failed) == (2, 0)
        assert sw.ingest(seeds_dir).added == 0
        stories = sw.stories(sort="size")
        assert stories[0].size == 2
        seeds = ["000_a9ead92bffc35e67", "004_e76b97f84e9bb642"]
        assert sorted(a.id for a in sw.articles(stories[0].id)) == seeds
        assert [a.id for a in sw.search("Humphreys")] == ["000_a9ead92bffc35e67"]
        report = sw.report(stories[0].id).to_dict()
        assert 2 <= len(report["summary"]["sentences"]) <= 4
        with pytest.raises(KeyError):
            sw.report("no-such-story")
    with StoryWeave(tmp_path / "api.db") as reopened:
        volcano = Article(id="x", title="Volcano erupts in Iceland", text="Lava reached the town.")
        result = reopened.add(volcano)
        assert result.added
        assert reopened.story(reopened.store.get_article("x").story_id).article_ids == ["x"]


def test_embedder_choice_in_the_python_api(tmp_path, embedder):
    from storyweave.embed import EmbedderError

    with pytest.raises(EmbedderError, match="unknown embedder"):
        StoryWeave(tmp_path / "bad.db", embedder="word2vec")
    with StoryWeave(tmp_path / "s.db", embedder="use") as sw:
        sw.add(Article(id="a1", title="Dam opens", text="The new dam opened on the river today.", lang="en"))
        assert sw.pipeline.engine.embedder is embedder
        assert sw.pipeline.engine.embedder_name == "use"
