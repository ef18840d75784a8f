"""What the browser tests of the public site share: a page at a given width, the axe-core
check (vendored in tests/browser/vendor/, MPL-2.0, run inside the page) and the
screenshots kept as test artifacts under var/artifacts/browser/ (RETOUR_ARTIFACTS)."""

from __future__ import annotations

import os
from pathlib import Path

AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
ARTIFACTS = Path(
    os.environ.get(
        "RETOUR_ARTIFACTS", Path(__file__).resolve().parents[2] / "var" / "artifacts" / "browser"
    )
)
WIDTHS = {"phone": 375, "desktop": 1280}
# The WCAG 2.1 A and AA rules and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_violations(page) -> list[dict]:
    """The serious and critical accessibility violations axe-core finds on the page now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol, which the page's
        # Content-Security-Policy (no inline scripts) does not govern.
        page.evaluate(AXE.read_text())
    results = page.evaluate(
        "tags => axe.run(document, "
        "{runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def check_page(page, name: str) -> None:
    """Save a screenshot of the whole page as an artifact and assert axe finds nothing
    serious on it; also that the withdrawal entry is in view without scrolling or menu."""
    width = page.viewport_size["width"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    entry = page.locator("a.withdraw-entry")
    box = entry.bounding_box()
    assert entry.is_visible() and box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["y"] < 200, box
    # Nothing wider than the screen: no sideways scrolling at 375 px.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    violations = axe_violations(page)
    assert violations == [], f"{name} at {width} px: {violations}"
