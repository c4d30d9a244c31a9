"""Where the real evaluation data lives (read-only, never copied into the repository) and a skip marker.

The data sits beside the project: <project root>/../shared/data. Tests needing it are marked
`@requires_shared_data` and skip with a clear message on machines without it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (PROJECT_ROOT / ".." / "shared" / "data").resolve()

requires_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(),
    reason=f"real evaluation data not found at {SHARED_DATA} (expected ../shared/data beside the project root)",
)
