"""The audit step log's process figures: a run worker's peak memory is its own, not its
parent's (``bakery_orchestration/core/process.py`` says why ``ru_maxrss`` is not)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bakery_orchestration.core.process import cpu_seconds, peak_rss_mib

CHILD = (
    "import json, resource\n"
    "from bakery_orchestration.core.process import peak_rss_mib\n"
    "print(json.dumps([peak_rss_mib(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss]))\n"
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_child_of_a_large_parent_reports_its_own_peak():
    ballast = b"\x01" * (400 * 1024 * 1024)  # written, so resident: the parent is > 400 MiB
    assert peak_rss_mib() > 400
    out = subprocess.run(
        [sys.executable, "-c", CHILD], check=True, capture_output=True, text=True
    ).stdout
    own, ru_maxrss_kib = json.loads(out)
    del ballast
    # The trap this guards against: the kernel hands the parent's size to the exec'd child.
    assert ru_maxrss_kib / 1024 > 400
    # What the audit records: the child's own high-water mark, a small interpreter.
    assert 5 < own < 150


def test_cpu_seconds_counts_this_process_work():
    before = cpu_seconds()
    total = sum(i * i for i in range(2_000_000))
    assert total > 0
    assert cpu_seconds() > before
