"""Regenerate README's "Measured quality and speed" table on this machine: `make bench` (or
`python scripts/bench_report.py [--write README.md] [--slow] [--only WORDS]`).

Every row runs its committed command, reads the figure from the command's own output and prints the table
with the machine's load (load average before and after, cores) and a fixed reference workload timed at the
start and at the end of the run, so speeds measured on a busy machine can be compared as ratios. Rows marked
slow (the 1M-article bench, 15 min) run only with --slow; rows whose command needs something absent say why.
Rows of the README table that this script does not run are kept as they are. To add a row, append a `Row` to
ROWS: what it measures, the storyweave arguments, and a function from the command's output to the figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("STORYWEAVE_SHARED", ROOT.parent / "shared")) / "data"
STORYWEAVE = Path(sys.executable).with_name("storyweave")
START, END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"
NUMBER = r"([0-9]+(?:\.[0-9]+)?)"


def grab(pattern: str, text: str, *, group: int = 1) -> str:
    """The first match of `pattern` (no nested quantifiers) in the command's output."""
    found = re.search(pattern, text)
    if found is None:
        raise ValueError(f"no match for {pattern!r}")
    return found.group(group)


def table_row(label: str, text: str) -> list[str]:
    """Numbers of the Rich table row starting with `label` (cells separated by │)."""
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if cells and cells[0] == label:
            return cells[1:]
    raise ValueError(f"no table row {label!r}")


@dataclass
class Row:
    what: str
    args: list[str]
    """Arguments of `storyweave`; `{data}` is the shared data folder, `{tmp}` a scratch folder."""
    figure: Callable[[str], str]
    slow: bool = False
    needs: tuple[str, ...] = ()
    """Paths (with `{data}`) that must exist for the row to run."""
    script: str | None = None
    """A figure read from a file a script writes (e.g. the shipped model's fit report) instead of running
    `storyweave`: the script that reproduces it, shown as the command."""

    def shown(self) -> str:
        """The command as README shows it (paths relative to the repository)."""
        if self.script:
            return f"`{self.script}`"
        args = " ".join(self.args).replace("{data}", "../shared/data").replace("{tmp}/", "")
        return f"`storyweave {args}`"


def _extraction(out: str) -> str:
    p, r, f1 = (float(grab(rf"{k}={NUMBER}", out)) for k in ("precision", "recall", "F1"))
    return f"P {p:.3f} / R {r:.3f} / F1 {f1:.3f}, {grab(rf'pages/s={NUMBER}', out)} pages/s"


def _b3(out: str) -> str:
    engine = table_row("storyweave", out)  # B³, precision, recall, F1, stories
    baseline = next(line for line in out.splitlines() if "TF-IDF single pass" in line)
    cells = [c.strip() for c in baseline.split("│") if c.strip()]
    return f"{float(engine[3]):.3f} (TF-IDF single pass {float(cells[4]):.3f})"


def _pairs(out: str) -> str:
    return f"{float(table_row('overall', out)[1]):.3f} (Pearson)"


def _cluster(out: str) -> str:
    return f"{grab(rf'{NUMBER} articles/s', out)} articles/s"


def _summaries(out: str) -> str:
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if len(cells) == 4 and all(re.fullmatch(r"[0-9.—]+", c) for c in cells):
            r1, r2, rl, speed = cells
            return f"ROUGE-1/2/L {r1} / {r2} / {rl}, {speed} stories/s"
    raise ValueError("no ROUGE row")


SETS = ("allsides", "wikinews", "giveme5w1h", "uci_headlines", "ecbplus_dev")


def _fit_report() -> dict:
    return json.loads((ROOT / "src/storyweave/cluster/engine_model.json").read_text())["fit_report"]


def _loso(_: str) -> str:
    report = _fit_report()
    loso = " / ".join(f"{report['loso'][name]:.3f}" for name in SETS)
    tfidf = " / ".join(f"{report['tfidf'][name]:.3f}" for name in SETS)
    return f"{loso} (TF-IDF single pass: {tfidf})"


def _semeval_kfold(_: str) -> str:
    return f"{_fit_report()['semeval_kfold']:.3f} (5-fold, split by article)"


def _bench(out: str) -> str:
    cells = table_row("1,000,000", out)
    return f"p50 {cells[1]} ms, p99 {cells[2]} ms (pipeline p99 {cells[3]} ms), RSS {cells[4]} MB"


ROWS = [
    Row("extraction, Zyte AEB (181 pages)", ["eval", "extraction", "{data}/extraction/aeb"], _extraction,
        needs=("{data}/extraction/aeb",)),
    Row("clustering B³ F1, leave-one-set-out: " + " / ".join(SETS), [], _loso,
        script="python scripts/fit_engine.py"),
    Row("SemEval-2022 pairs, Pearson, held out", [], _semeval_kfold, script="python scripts/fit_engine.py"),
    *[
        Row(f"clustering B³ F1, {name} (in-sample: the shipped model was fitted on all sets)",
            ["eval", "clustering", f"{{data}}/clustering/{name}.jsonl"], _b3,
            needs=(f"{{data}}/clustering/{name}.jsonl",))
        for name in SETS
    ],
    Row("SemEval-2022 pairs (in-sample)", ["eval", "pairs", "{data}/pairs/semeval2022_dev.jsonl"], _pairs,
        needs=("{data}/pairs/semeval2022_dev.jsonl",)),
    Row("`cluster` throughput, full text (first 1,000 allsides articles)",
        ["cluster", "{tmp}/allsides-1000.jsonl", "--out", "{tmp}/out.jsonl"], _cluster,
        needs=("{data}/clustering/allsides.jsonl",)),
    Row("NeuS val summaries", ["eval", "summaries", "{data}/summaries/neus_val.jsonl"], _summaries,
        needs=("{data}/summaries/neus_val.jsonl",)),
    Row("clustering step at 1M stored articles", ["bench"], _bench, slow=True),
]  # fmt: skip


def reference_seconds() -> float:
    """A fixed CPU workload (hashing, a matrix product): its time says how busy the machine is."""
    started = time.perf_counter()
    block = bytes(range(256)) * 4096
    for _ in range(40):
        hashlib.sha256(block).digest()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 300))
    for _ in range(20):
        a = np.tanh(a @ a.T / 300)
    return time.perf_counter() - started


def prepare(tmp: Path) -> None:
    source = DATA / "clustering" / "allsides.jsonl"
    if source.exists():
        with source.open(encoding="utf-8") as lines, (tmp / "allsides-1000.jsonl").open("w") as out:
            for line, _ in zip(lines, range(1000), strict=False):
                out.write(line)


def run(row: Row, tmp: Path) -> tuple[str, float]:
    missing = [n for n in row.needs if not Path(n.format(data=DATA)).exists()]
    if missing:
        raise ValueError(f"missing {missing[0]}")
    if row.script:
        return row.figure(""), 0.0
    args = [a.format(data=DATA, tmp=tmp) for a in row.args]
    env = {
        **os.environ,
        "COLUMNS": "200",
        "NO_COLOR": "1",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(STORYWEAVE), *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise ValueError(f"exit {done.returncode}: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return row.figure(done.stdout + "\n" + done.stderr), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--write", type=Path, help="Replace the table between the bench-table markers of this file"
    )
    parser.add_argument("--slow", action="store_true", help="Also run slow rows (the 1M bench: about 15 min)")
    parser.add_argument("--only", default="", help="Run only rows whose description contains this text")
    opts = parser.parse_args()
    load_before, cores, ref_before = os.getloadavg(), os.cpu_count(), reference_seconds()
    measured: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="storyweave-bench-") as scratch:
        tmp = Path(scratch)
        prepare(tmp)
        for row in ROWS:
            if (row.slow and not opts.slow) or opts.only.casefold() not in row.what.casefold():
                continue
            try:
                figure, seconds = run(row, tmp)
            except ValueError as exc:
                figure, seconds = f"not measured ({exc})", 0.0
            print(f"{row.what}: {figure} ({seconds:.0f} s)", file=sys.stderr, flush=True)
            measured[row.what] = f"| {row.what} | {figure} | {row.shown()} |"
    load_after, ref_after = os.getloadavg(), reference_seconds()
    note = (
        f"Measured by `make bench` on {time.strftime('%Y-%m-%d', time.gmtime())}: {cores} cores, load "
        f"average {load_before[0]:.1f} before and {load_after[0]:.1f} after; the fixed reference workload "
        f"(`scripts/bench_report.py`, one thread) took {ref_before:.2f} s before and {ref_after:.2f} s after "
        "(lower is a less busy machine; compare speeds across runs as ratios to it)."
    )
    note += f" Rows run: {'; '.join(w.split(' (')[0] for w in measured) or 'none'}."
    if not opts.write:
        print("\n".join(["| what | figure | command |", "|---|---|---|", *measured.values(), "", note]))
        return
    text = opts.write.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    old, _, tail = rest.partition(END)
    if not rest:
        raise SystemExit(f"{opts.write} has no {START} … {END} markers")
    kept = [line for line in old.strip().splitlines() if line.startswith("|")]
    notes = [line for line in old.strip().splitlines() if line.startswith("Measured by")]
    if not opts.only:
        notes = []  # a whole run replaces the notes of earlier partial runs
    lines = [measured.pop(_what(line), line) for line in kept]  # rows in place; others' rows untouched
    table = "\n".join([*lines, *measured.values(), "", *[f"{n}\n" for n in notes], note])
    opts.write.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
    print(table)


def _what(line: str) -> str:
    return line.strip("|").split("|", 1)[0].strip()


if __name__ == "__main__":
    main()
