"""Sample data shipped inside the package: the demo center of 株式会社みどり通販 (fictional).

``center.yaml`` is the center that ``make demo`` and the simulator's examples run; it is also
the worked example of docs/configuration.md. Reading packaged files is I/O, so these helpers live
here and not in :mod:`madoguchi.core`.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from madoguchi.core.config import CenterConfig
from madoguchi.core.config_loader import parse_center

__all__ = ["load_sample_center", "sample_center_path", "sample_center_text"]

_CENTER = "center.yaml"


def sample_center_path() -> Path:
    """Where the sample center file is installed (a real file: the package is not zipped)."""
    return Path(str(files(__name__).joinpath(_CENTER)))


def sample_center_text() -> str:
    """The sample center file's text."""
    return files(__name__).joinpath(_CENTER).read_text(encoding="utf-8")


@cache
def load_sample_center() -> CenterConfig:
    """The sample center, parsed once (it is immutable, so every caller shares it)."""
    return parse_center(sample_center_text(), str(sample_center_path()))
