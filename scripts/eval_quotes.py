"""Quote attribution on the annotated sentences (tests/data/quote_attributions.jsonl), against a plain regex.

    .venv/bin/python scripts/eval_quotes.py [--shared ../shared] [--errors SPLIT] [--against REV]

Prints recall (all and per kind), precision and speaker accuracy for storyweave's attribution, for the
regex baseline and, when textacy is installed, for textacy's direct_quotations, read on the same statements,
per split: dev (written against), test (sentences annotated blind) and heldout (whole articles annotated
blind; the honest figure). `--errors dev` lists storyweave's
misses, wrong speakers and false alarms on that split; `--against REV` also measures quotes.py as of a git
revision (see `storyweave.analyse.quote_eval`).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

from storyweave.analyse.quote_eval import evaluate, regex_baseline, textacy_baseline
from storyweave.analyse.quotes import extract_quotes

SPLITS = ("dev", "test", "heldout", "heldout2")
ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "quote_attributions.jsonl"


def extractor_at(revision: str):
    """`extract_quotes` of quotes.py as it was at a git revision, to measure a change on the same gold."""
    source = subprocess.run(["git", "show", f"{revision}:src/storyweave/analyse/quotes.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "quotes_at_revision.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("quotes_at_revision", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.extract_quotes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--gold", type=Path, default=GOLD)
    parser.add_argument("--errors", choices=SPLITS, help="list storyweave's errors on this split")
    parser.add_argument("--against", metavar="REV", help="also measure quotes.py as of this git revision")
    args = parser.parse_args()
    systems = [("storyweave", extract_quotes), ("regex baseline", regex_baseline)]
    if args.against:
        systems.insert(1, (f"at {args.against}", extractor_at(args.against)))
    if importlib.util.find_spec("textacy") is not None:  # optional: pip install textacy
        systems.append(("textacy direct", textacy_baseline))
    for split in SPLITS:
        for name, extractor in systems:
            result = evaluate(args.gold, args.shared, extractor, split)
            kinds = ", ".join(f"{k} {v:.2f}" for k, v in result["recall_by_kind"].items())
            print(
                f"{split:8s} {name:15s} recall {result['recall']:.2f} ({kinds}) "
                f"precision {result['precision']:.2f} "
                f"speaker accuracy {result['speaker_accuracy']:.2f} on {result['attributions']} attributions",
            )
            if split == args.errors and extractor is extract_quotes:
                print("\n".join(f"    {line}" for line in result["errors"]))


if __name__ == "__main__":
    main()
