"""The Streamlit layer: the only part of the package that imports streamlit.

One module per page (`carte`, `synergies`, `indicateurs`, `atelier`, `presentation`, `donnees`),
the frame (`frame`: sidebar and shared selection), the session (`state`: language and shared keys;
`zones`: the session's zone), the cached analyses (`analyses`), the workshop store (`decisions`) and
small display helpers (`widgets`, `filters`); on a shared server, who is signed in (`access`).
Pages import what they show from their module; the frame-level helpers every page uses are
re-exported here.
"""

from eit_geo.ui import access, state
from eit_geo.ui.state import language, tr
from eit_geo.ui.zones import zone_or_stop, zone_title


def ensure_frame() -> None:
    """Run the page inside the frame of ``app.py``, signed in; call it first in every page.

    See `state.ensure_frame`; on a shared server the page also stops unless someone is signed
    in (`access.require_sign_in`), even if it was asked for before ``app.py`` ever ran.
    """
    access.require_sign_in()
    state.ensure_frame()


__all__ = ["ensure_frame", "language", "tr", "zone_or_stop", "zone_title"]
