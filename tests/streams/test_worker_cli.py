"""The worker's command line: its log levels are ones Faust's own command line takes."""

from __future__ import annotations

import inspect

import pytest
from faust.cli.base import LOGLEVELS

from service.cli import worker
from service.streams.app import faust_loglevel


def test_the_default_log_level_is_one_faust_takes() -> None:
    default = inspect.signature(worker).parameters["loglevel"].default
    assert faust_loglevel(default).upper() in LOGLEVELS


@pytest.mark.parametrize("level", ["warning", "WARNING", "critical", "info", "debug", "error"])
def test_python_level_names_are_given_to_faust_as_its_own(level: str) -> None:
    assert faust_loglevel(level).upper() in LOGLEVELS
