"""The suite's ``xdist_group`` marks must hold: tests that run grids on both cores, and the
cluster tests, rely on running one after another on one worker (scripts/test.sh passes
``--dist loadgroup``). pytest-xdist 3.8 under pytest 9 ignores the marks silently (it renames
node ids through an attribute pytest 9 no longer reads), so the pins keep pytest below 9 and
this test runs six grouped tests in a pytest of the same environment and checks where they ran.
"""

import subprocess
import sys

GROUPED = """
import time, pytest

@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("i", range(6))
def test_grouped(i):
    time.sleep(0.3)
"""


def test_tests_of_one_xdist_group_run_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the project's settings
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2"]
        + ["--dist", "loadgroup", "-v", "test_grouped.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    # "[gw0] [ 16%] PASSED test_grouped.py::test_grouped[0]": the worker of each of the six
    ran = [line.split()[0] for line in done.stdout.splitlines() if "PASSED" in line]
    assert len(ran) == 6, done.stdout[-2000:]
    # spread over both workers when the marks are ignored (xdist's load scheduling)
    assert len(set(ran)) == 1, f"one group's tests ran on {sorted(set(ran))}"
