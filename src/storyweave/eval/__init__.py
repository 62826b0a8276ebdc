"""Built-in evaluation: metrics implemented here, run by `storyweave eval …` on labelled data."""
