"""Quote attribution on the annotated sentences (tests/data/quote_attributions.jsonl), against a plain regex.

    .venv/bin/python scripts/eval_quotes.py [--shared ../shared] [--errors SPLIT]

Prints recall (all and per kind), precision and speaker accuracy for storyweave's attribution, for the
regex baseline and, when textacy is installed, for textacy's direct_quotations, read on the same statements,
per split: dev (written against), test (sentences annotated blind) and heldout (whole articles annotated
blind; the honest figure). `--errors dev` lists storyweave's
misses, wrong speakers and false alarms on that split (see `storyweave.analyse.quote_eval`).
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

from storyweave.analyse.quote_eval import evaluate, regex_baseline, textacy_baseline
from storyweave.analyse.quotes import extract_quotes

SPLITS = ("dev", "test", "heldout")
GOLD = Path(__file__).resolve().parent.parent / "tests" / "data" / "quote_attributions.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--errors", choices=SPLITS, help="list storyweave's errors on this split")
    args = parser.parse_args()
    systems = [("storyweave", extract_quotes), ("regex baseline", regex_baseline)]
    if importlib.util.find_spec("textacy") is not None:  # optional: pip install textacy
        systems.append(("textacy direct", textacy_baseline))
    for split in SPLITS:
        for name, extractor in systems:
            result = evaluate(args.gold, args.shared, extractor, split)
            kinds = ", ".join(f"{k} {v:.2f}" for k, v in result["recall_by_kind"].items())
            print(
                f"{split:7s} {name:15s} recall {result['recall']:.2f} ({kinds}) "
                f"precision {result['precision']:.2f} "
                f"speaker accuracy {result['speaker_accuracy']:.2f} on {result['attributions']} attributions",
            )
            if split == args.errors and extractor is extract_quotes:
                print("\n".join(f"    {line}" for line in result["errors"]))


if __name__ == "__main__":
    main()
