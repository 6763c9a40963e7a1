"""The Streamlit layer: the only part of the package that imports streamlit.

One module per page (`carte`, `synergies`, `indicateurs`, `atelier`, `presentation`, `donnees`),
the frame (`frame`: sidebar and shared selection), the session (`state`: language and shared keys;
`zones`: the session's zone), the cached analyses (`analyses`), the workshop store (`decisions`) and
small display helpers (`widgets`, `filters`). Pages import what they show from their module; the
frame-level helpers every page uses are re-exported here.
"""

from eit_geo.ui.state import ensure_frame, language, tr
from eit_geo.ui.zones import zone_or_stop, zone_title

__all__ = ["ensure_frame", "language", "tr", "zone_or_stop", "zone_title"]
