"""Measure the return label's render time beside a naive WeasyPrint render of the same page.

Run by `make bench` (or `python benchmarks/bench_labels.py [-n 20]`). No database: the
label content is built from plain values, so the figure is what WeasyPrint needs for our
templates (HTML → PDF). In each round both paths print the same label (a new ticket
number each round):

- **project**: `rma.labels.render_pdf`, what `ticket_label` calls for an actual render
  (the digest check that skips unchanged labels is not counted): the process's one font
  configuration, parsed stylesheet and, for the A6 label, the static parts laid out and
  drawn by the warm-up round (head, address, hints, checklist: the same on every label of
  one language, reason and vendor; `rma.labels.Typesetter`);
- **naive**: `HTML(string=html).write_pdf()` of the same label as one self-contained page,
  its stylesheet inline in a `<style>`, as any HTML-to-PDF call would print it (a new
  font configuration, the CSS parsed again, every time). Both give the same pixels.

Rounds alternate the two, so a busy machine slows both alike. Prints the median of N
renders (wall clock, and the process's CPU time) and the ratio naive / project for the
A6 label (the stored one) and the A4 sheet, and a one-line page for scale.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import statistics
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()
# WeasyPrint and fontTools log every step at INFO; that is not what we measure.
for name in ("weasyprint", "fontTools"):
    logging.getLogger(name).setLevel(logging.ERROR)

from weasyprint import HTML  # noqa: E402
from weasyprint.text.ffi import harfbuzz_subset  # noqa: E402

from rma.labels import (  # noqa: E402
    LabelContent,
    LabelLine,
    VendorHint,
    label_html,
    label_stylesheet,
    render_pdf,
)

BASELINE_HTML = "<p style=\"font-family: 'DejaVu Sans'\">RMA-2026-000123</p>"

CONTENT = LabelContent(
    number="RMA-2026-000123",
    order_number="WS-100234",
    customer_name="Anna de Vries",
    language="nl",
    reason="defective",
    shop_name="WebStore4",
    return_address=("WebStore4 Returns", "Retourweg 4", "1234 AB Amsterdam", "Netherlands"),
    lines=(
        LabelLine(2, "Grandstream GRP2614 IP phone", ("GS2614A001", "GS2614A002")),
        LabelLine(1, "Hikvision 8-channel NVR", ("HKNVR8A0001",)),
    ),
    login_devices=("Grandstream GRP2614 IP phone", "Hikvision 8-channel NVR"),
    vendor_hints=(
        VendorHint("Grandstream", "vendor_validation_first"),
        VendorHint("Hikvision", "via_shop"),
    ),
    vendor_ticket_number="GS-55123",
)


def standalone(html: str, layout: str) -> str:
    """The label as one self-contained page: its stylesheet inline, as a naive call prints it."""
    return html.replace("</head>", f"<style>\n{label_stylesheet(layout)}</style>\n</head>", 1)


def naive_pdf(page: str) -> bytes:
    """What any HTML-to-PDF call does: parse, lay out and print with WeasyPrint's defaults."""
    return HTML(string=page).write_pdf()


def timed(render) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    render()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def compare(layout: str, runs: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) ms of the project's and the naive render of the same labels."""
    timings: dict[str, list[tuple[float, float]]] = {"project": [], "naive": []}
    for round_ in range(runs + 1):
        content = dataclasses.replace(CONTENT, number=f"RMA-2026-{round_ + 1:06d}")
        html = label_html(content, layout=layout)
        page = standalone(html, layout)
        project = timed(partial(render_pdf, html, layout=layout, one_page=layout == "a6"))
        naive = timed(partial(naive_pdf, page))
        if round_:  # the first round warms up: fonts, templates, the barcode module
            timings["project"].append(project)
            timings["naive"].append(naive)
    return {
        path: (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))
        for path, ts in timings.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="renders per figure")
    runs = parser.parse_args().runs

    baseline = [timed(lambda: HTML(string=BASELINE_HTML).write_pdf()) for _ in range(runs + 1)]
    one_line = statistics.median(wall for wall, _ in baseline[1:])
    subsetter = (
        "HarfBuzz-Subset" if harfbuzz_subset else "fontTools (slow; install HarfBuzz-Subset)"
    )
    print(f"label render time, median of {runs} (font subsetting: {subsetter})")
    print(f"  one-line page, naive                  {one_line:7.1f} ms")
    print("                                          wall        CPU   naive / project")
    for layout, name in (("a6", "A6 stored label"), ("a4", "A4 cut-out sheet")):
        figures = compare(layout, runs)
        (project, project_cpu), (naive, naive_cpu) = figures["project"], figures["naive"]
        print(f"  {name:<17} project (Typesetter) {project:7.1f} ms {project_cpu:7.1f} ms")
        print(
            f"  {name:<17} naive write_pdf()    {naive:7.1f} ms {naive_cpu:7.1f} ms"
            f"   ×{naive / project:.2f} (CPU ×{naive_cpu / project_cpu:.2f})"
        )


if __name__ == "__main__":
    main()
