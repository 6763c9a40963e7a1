"""Read uploaded files in a worker process: the zone (or its problems) and the decisions it carries.

The dashboard calls `read_upload`; the reading itself (`loading.load_zone_files`, then the
decision layers of a project GeoPackage) runs in `sandbox.run_bounded`, within `UPLOAD_LIMITS`,
`UPLOAD_MEMORY` and `UPLOAD_SECONDS`. Nothing is written to disk. The decisions come back as
they are in the file: only `store.preview_imported_decisions` and a facilitator's
`store.import_decisions` ever bring them into a store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from eit_geo import store
from eit_geo.bounded import MEGABYTE, LimitError, Limits
from eit_geo.errors import Problem, ZoneError
from eit_geo.i18n import DEFAULT_LANGUAGE
from eit_geo.loading import load_zone_files
from eit_geo.sandbox import SandboxError, run_bounded

if TYPE_CHECKING:
    import pandas as pd

    from eit_geo.zone import Zone

__all__ = [
    "UPLOAD_LIMITS",
    "UPLOAD_MAX_BYTES",
    "UPLOAD_MEMORY",
    "UPLOAD_SECONDS",
    "Upload",
    "read_upload",
]

UPLOAD_MAX_BYTES = 50 * MEGABYTE  # = server.maxUploadSize (50) in .streamlit/config.toml
UPLOAD_LIMITS = Limits(max_bytes=UPLOAD_MAX_BYTES, max_rows=200_000, seconds=30.0)
UPLOAD_MEMORY = 1_000 * MEGABYTE
UPLOAD_SECONDS = 60.0


@dataclass
class Upload:
    """What reading uploaded files gave.

    Attributes
    ----------
    zone : the zone, or None when it has problems
    problems : every problem found (empty when ``zone`` is set)
    decisions : decision layers a project GeoPackage carries (``store.LAYERS``), as read;
        empty when there are none
    origin : the file they come from
    seconds : time the reading took in its worker
    peak_bytes : the worker's peak resident memory
    cpu_seconds : processor time the worker used
    """

    zone: Zone | None
    problems: list[Problem] = field(default_factory=list)
    decisions: dict[str, pd.DataFrame] = field(default_factory=dict)
    origin: str = ""
    seconds: float = 0.0
    peak_bytes: int = 0
    cpu_seconds: float = 0.0

    def error(self) -> ZoneError | None:
        """Return the problems as a ZoneError, or None when the zone loaded."""
        return ZoneError(list(self.problems)) if self.zone is None else None


def read_upload(
    files: Iterable[tuple[str, bytes]],
    *,
    name: str,
    lang: str = DEFAULT_LANGUAGE,
    limits: Limits = UPLOAD_LIMITS,
    memory: int = UPLOAD_MEMORY,
    seconds: float = UPLOAD_SECONDS,
) -> Upload:
    """Read uploaded files in a worker process with memory and time limits.

    Parameters
    ----------
    files
        ``(file name, bytes)`` as uploaded.
    name
        The zone's name.
    lang
        Language of the messages.
    limits
        What the readers may take (`bounded.Limits`).
    memory, seconds
        What the worker may allocate, and how long it may run, before it is stopped.

    Returns
    -------
    Upload
        Never raises for a bad file: its problems are in ``Upload.problems``.
    """
    given = tuple((str(file_name), bytes(data)) for file_name, data in files)
    try:
        outcome = run_bounded(_read, given, name, lang, limits, memory=memory, seconds=seconds)
    except SandboxError as error:
        problem = Problem(name, None, None, None, error.message(lang), lang)
        return Upload(None, [problem], seconds=error.taken, peak_bytes=error.peak_bytes)
    upload: Upload = outcome.value
    upload.seconds, upload.peak_bytes = outcome.seconds, outcome.peak_bytes
    upload.cpu_seconds = outcome.cpu_seconds
    return upload


def _read(files: tuple[tuple[str, bytes], ...], name: str, lang: str, limits: Limits) -> Upload:
    """Read the zone (in the worker), then the decisions of the one GeoPackage uploaded."""
    try:
        zone = load_zone_files(files, name=name, lang=lang, limits=limits)
    except ZoneError as error:
        return Upload(None, list(error.problems))
    project = [(n, data) for n, data in files if PurePosixPath(n).suffix.lower() == ".gpkg"]
    if len(files) != 1 or len(project) != 1:
        return Upload(zone)
    origin, data = project[0]
    try:
        decisions = store.read_decision_layers(data, limits=limits)
    except LimitError as error:  # the zone is fine; its decisions are not read
        zone.warnings.append(error.message(lang))
        decisions = {}
    return Upload(zone, decisions=decisions, origin=PurePosixPath(origin).name)
