"""The README's screenshot of the class view (docs/class-view.png): the sample class the tests use
(tests/harness/classview.py: one copy healthy at stage start, one reset to base with flanneld down),
rendered and shot in headless Chromium. From the repository root: python docs/class-view.py"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from k8slab.classview import write_html  # noqa: E402
from tests.harness.classview import chromium, sample_view  # noqa: E402

PNG = REPO / "docs" / "class-view.png"

with tempfile.TemporaryDirectory() as tmp:
    page = Path(tmp) / "class.html"
    write_html(sample_view(), page)
    chromium(page, Path(tmp), f"--screenshot={PNG}", "--window-size=1200,1400", "--hide-scrollbars")
print(f"wrote {PNG.relative_to(REPO)} ({PNG.stat().st_size // 1024} KiB)")
