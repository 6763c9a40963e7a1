"""The ``process`` mark is kept honest: a test that starts a process without it fails."""

from __future__ import annotations

import pytest

pytest_plugins = ("pytester",)

CONFTEST = """
from process_marks import _unmarked_tests_start_no_process, mark_process_tests  # noqa: F401


def pytest_collection_modifyitems(items):
    mark_process_tests(items)
"""
TESTS = """
import subprocess
import sys

import pytest


def test_unmarked_cli_run():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.mark.process
def test_marked_cli_run():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def test_starts_nothing():
    assert sum([1, 2]) == 3


def test_postgres_fixture_marks(postgres_url):
    assert postgres_url
"""
FIXTURE = """
import pytest


@pytest.fixture
def postgres_url():
    return "postgresql://stand-in"
"""


@pytest.mark.process
def test_an_unmarked_test_that_starts_a_process_fails(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST + FIXTURE)
    pytester.makepyfile(test_marks_inside=TESTS)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore")
    result.assert_outcomes(passed=4, errors=1)  # the unmarked run passes, then fails at teardown
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_unmarked_cli_run*",
            "this test started processes but is not marked `process`*",
        ]
    )


@pytest.mark.process
def test_the_quick_run_skips_what_is_marked(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST + FIXTURE)
    pytester.makepyfile(test_marks_inside=TESTS)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-W", "ignore", "-m", "not process"
    )
    # the marked run and the test using a process-starting fixture are left out
    result.assert_outcomes(passed=2, errors=1, deselected=2)
