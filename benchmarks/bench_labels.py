"""Measure the return label's render time beside a plain WeasyPrint baseline.

Run by `make bench` (or `python benchmarks/bench_labels.py [-n 20]`). No database: the
label content is built from plain values, so the figure is what WeasyPrint needs for
our templates (HTML → PDF), measured in the same process and run as the baseline, a
one-line HTML page. Prints the median of N renders for the A6 label, the A4 cut-out
sheet and the baseline, and the ratio label / baseline, so a slow machine does not
look like a regression.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
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

from rma.labels import LabelContent, LabelLine, VendorHint, label_html, render_pdf  # noqa: E402

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


def median_ms(render, runs: int) -> float:
    render()  # warm up: fonts, templates and the barcode writer load once per process
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        render()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20, help="renders per figure")
    runs = parser.parse_args().runs

    baseline = median_ms(lambda: HTML(string=BASELINE_HTML).write_pdf(), runs)
    a6 = median_ms(lambda: render_pdf(label_html(CONTENT, layout="a6")), runs)
    a4 = median_ms(lambda: render_pdf(label_html(CONTENT, layout="a4")), runs)

    subsetter = (
        "HarfBuzz-Subset" if harfbuzz_subset else "fontTools (slow; install HarfBuzz-Subset)"
    )
    print(f"label render time, median of {runs} (font subsetting: {subsetter})")
    print(f"  baseline  one-line page   {baseline:7.1f} ms")
    print(f"  label A6  stored label    {a6:7.1f} ms   {a6 / baseline:4.1f}× baseline")
    print(f"  label A4  cut-out sheet   {a4:7.1f} ms   {a4 / baseline:4.1f}× baseline")


if __name__ == "__main__":
    main()
