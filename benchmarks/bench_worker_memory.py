"""Measure a worker's memory over many label renders, beside the naive render's growth.

`python benchmarks/bench_worker_memory.py [-n 2000] [--naive 1000] [--every 1000]`; the
issue's figure is `-n 10000` (about 8 minutes on a quiet core).

Two fresh processes, started at once, each render labels one after the other the way a
worker does and report their resident memory (RSS) at the start, every `--every` labels
and at the end:

- **project**: `-n` labels through `rma.labels.render_pdf`, the function `ticket_label`
  calls for each actual render when the outbox task attaches a label to its e-mail (no
  database: the content is built from plain values, a new ticket, customer and serials
  each time);
- **naive**: `--naive` labels through `HTML(string=html).write_pdf()` of the same label
  as one self-contained page, which is what the project did before (a new WeasyPrint
  font configuration per document).

The project's RSS should stay flat (≤ 200 MB); the naive one grows about a quarter of a
megabyte per label. Celery's `worker_max_tasks_per_child` and
`worker_max_memory_per_child` (docs/operations.md) recycle a worker should it grow anyway.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    """This process's resident memory now, in MB (Linux; the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def child(path: str, count: int, every: int) -> None:
    """Render `count` labels by `path`, printing one JSON line per checkpoint."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from bench_labels import CONTENT, standalone
    from weasyprint import HTML

    from rma.labels import LabelLine, label_html, render_pdf

    def report(done: int, started: float) -> None:
        line = {"done": done, "rss": rss_mb(), "seconds": time.perf_counter() - started}
        print(json.dumps(line), flush=True)

    started = time.perf_counter()
    report(0, started)
    for n in range(1, count + 1):
        content = dataclasses.replace(
            CONTENT,
            number=f"RMA-2026-{n:06d}",
            customer_name=f"Klant {n} van Dijk-Ševčík",
            lines=(
                LabelLine(1 + n % 3, f"Grandstream GRP26{n % 100:02d} IP phone", (f"GS{n:08d}",)),
                *CONTENT.lines[1:],
            ),
        )
        html = label_html(content, layout="a6")
        if path == "project":
            render_pdf(html, layout="a6", one_page=True)
        else:
            HTML(string=standalone(html, "a6")).write_pdf()
        if n == 1 or n % every == 0 or n == count:
            report(n, started)


def run(path: str, count: int, every: int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - this script, fixed arguments
        [sys.executable, __file__, "--child", path, "-n", str(count), "--every", str(every)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2_000, help="labels the project renders")
    parser.add_argument("--naive", type=int, default=1_000, help="labels rendered naively")
    parser.add_argument("--every", type=int, default=1_000, help="labels between readings")
    parser.add_argument("--child", choices=("project", "naive"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.n, args.every)
        return

    every_naive = min(args.every, max(args.naive // 4, 1))
    processes = {
        "project": run("project", args.n, args.every),
        "naive": run("naive", args.naive, every_naive),
    }
    print(f"RSS while rendering A6 labels in one process (project: {args.n}, naive: {args.naive})")
    for path, process in processes.items():
        assert process.stdout is not None
        readings = [json.loads(line) for line in process.stdout]
        if process.wait() != 0:
            raise SystemExit(f"the {path} process failed")
        print(f"  {path}")
        for reading in readings:
            print(
                f"    {reading['done']:>6} labels  {reading['rss']:7.1f} MB"
                f"  {reading['seconds']:7.1f} s"
            )
        first, last = readings[0], readings[-1]
        # The first label loads fonts, templates and WeasyPrint's caches: growth is
        # counted from the reading after it.
        base = readings[1]
        per_label = (last["rss"] - base["rss"]) / max(last["done"] - 1, 1) * 1024
        rate = last["done"] / last["seconds"] if last["seconds"] else 0
        print(
            f"    start {first['rss']:.1f} MB, after the first label {base['rss']:.1f} MB, "
            f"end {last['rss']:.1f} MB, peak {max(r['rss'] for r in readings):.1f} MB; "
            f"{per_label:+.1f} kB a label since the first; {rate:.1f} labels/s"
        )


if __name__ == "__main__":
    main()
