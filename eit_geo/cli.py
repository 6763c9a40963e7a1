"""The ``eit-geo`` command: start the dashboard, validate, export and analyse a zone."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import socket
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eit_geo import auth, gate
from eit_geo._memory import release_memory, use_system_allocator
from eit_geo.datafiles import example_path
from eit_geo.errors import ZoneError
from eit_geo.export import export_zone
from eit_geo.i18n import t
from eit_geo.loading import load_zone
from eit_geo.settings import BASEMAP_ENV, ZONE_ENV
from eit_geo.summary import zone_label

if TYPE_CHECKING:
    from eit_geo.analysis import Analysis
    from eit_geo.zone import Zone

__all__ = [
    "EXIT_BAD_ZONE",
    "build_parser",
    "find_app_script",
    "main",
    "read_zone_argument",
    "register",
]

EXIT_BAD_ZONE = 2
EXIT_WRITE_FAILED = 1
DEFAULT_EXAMPLE = "kalundborg"
_PACKAGE_DIR = Path(__file__).resolve().parent

AddArguments = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[str, AddArguments, Run]] = {}


def register(name: str, help_text: str, add_arguments: AddArguments, run: Run) -> None:
    """Register a subcommand: its help, a function adding its options, ``run(args) -> code``."""
    COMMANDS[name] = (help_text, add_arguments, run)


def read_zone_argument(value: str | None) -> Path:
    """Resolve a ZONE argument: a path, or the name of a shipped example (default Kalundborg)."""
    if value is None:
        return example_path(DEFAULT_EXAMPLE)
    path = Path(value)
    if not path.exists():
        try:
            return example_path(value)
        except ValueError:
            return path
    return path


def _load_or_report(value: str | None) -> Zone | None:
    """Load a zone; on bad input print every problem on stderr and return None."""
    try:
        zone = load_zone(read_zone_argument(value))
    except ZoneError as error:
        print(str(error), file=sys.stderr)
        return None
    release_memory()  # what reading and checking freed, before the analysis
    return zone


def _zone_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "zone", help="dossier, GeoPackage, classeur ou zip de la zone / zone folder or file"
    )


def _analysis(args: argparse.Namespace, settings: Callable[[], dict[str, Any]]) -> Analysis | None:
    """Return the analysis of the command's zone under the settings its options give.

    ``settings`` reads the options into `~eit_geo.analysis.Analysis` fields, raising
    ValueError on a bad one. On a bad option, then on a zone that breaks the format, print why
    on stderr and return None.
    """
    try:
        chosen = settings()
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return None
    use_system_allocator()  # a command's one analysis; not the web app's long-lived server
    zone = _load_or_report(args.zone)
    if zone is None:
        return None
    from eit_geo.analysis import Analysis  # noqa: PLC0415 - keeps the other commands light

    return Analysis(zone, **chosen)


def _run_validate(args: argparse.Namespace) -> int:
    analysis = _analysis(args, dict)
    if analysis is None:
        return EXIT_BAD_ZONE
    zone = analysis.zone
    running = len(analysis.running.synergies)
    print(
        f"Zone valide / valid zone « {zone_label(zone)} » : {len(zone.companies)} entreprises, "
        f"{len(zone.flows)} flux, {len(zone.synergies)} synergies "
        f"({running} en service cette année / running this year)"
    )
    return 0


register(
    "validate",
    "vérifier une zone / check a zone against the data format",
    _zone_arguments,
    _run_validate,
)


def _export_arguments(parser: argparse.ArgumentParser) -> None:
    _zone_arguments(parser)
    parser.add_argument("--out", required=True, type=Path, help="fichier .gpkg / output .gpkg")


def _run_export(args: argparse.Namespace) -> int:
    zone = _load_or_report(args.zone)
    if zone is None:
        return EXIT_BAD_ZONE
    try:
        path = export_zone(zone, args.out)
    except OSError as error:
        return _write_failed(args.out, error)
    print(f"{path} : couches companies, flows, synergies, perimeter")
    return 0


def _write_failed(path: Path, error: OSError) -> int:
    """Say that ``path`` could not be written (no traceback) and return the exit status."""
    print(f"Écriture impossible / cannot write {path}: {error.strerror}", file=sys.stderr)
    return EXIT_WRITE_FAILED


register(
    "export",
    "écrire le GeoPackage du projet / write the project GeoPackage",
    _export_arguments,
    _run_export,
)


def find_app_script() -> Path:
    """Return the dashboard's ``app.py``: the checkout's, or the copy inside the package."""
    for candidate in (_PACKAGE_DIR.parent / "app.py", _PACKAGE_DIR / "app" / "app.py"):
        if candidate.is_file():
            return candidate
    msg = "app.py not found"
    raise FileNotFoundError(msg)


def _app_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "zone", nargs="?", default=None, help="zone (défaut : exemple Kalundborg / default example)"
    )
    parser.add_argument("--port", type=int, default=None, help="port HTTP (défaut 8501)")
    parser.add_argument(
        "--share",
        action="store_true",
        help="servir la salle (toutes les interfaces, connexion obligatoire) / serve the room",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NOM",
        help="nom ou adresse que tapent les participants (répétable) / host name to accept",
    )
    parser.add_argument(
        "--session-minutes",
        type=float,
        default=None,
        help=f"durée d'une session (défaut {auth.DEFAULT_SESSION_MINUTES:g}) / session length",
    )
    parser.add_argument(
        "--basemap",
        type=Path,
        default=None,
        metavar="FICHIER.mbtiles",
        help="fond de carte raster MBTiles de cette machine (QGIS) / local MBTiles basemap",
    )


def _run_app(args: argparse.Namespace) -> int:
    if _load_or_report(args.zone) is None:
        return EXIT_BAD_ZONE
    if args.session_minutes is not None and args.session_minutes <= 0:
        print("--session-minutes : une durée positive / a positive length", file=sys.stderr)
        return EXIT_BAD_ZONE
    if args.basemap is not None:
        from eit_geo.mbtiles import read_mbtiles  # noqa: PLC0415 - app only

        try:
            read_mbtiles(args.basemap)
        except ValueError as error:
            print(str(error), file=sys.stderr)
            return EXIT_BAD_ZONE
        os.environ[BASEMAP_ENV] = str(args.basemap.resolve())
    for name in ("cache_data_api", "cache_resource_api"):  # the pages' caches, imported before
        logging.getLogger(f"streamlit.runtime.caching.{name}").addFilter(_before_runtime)
    from eit_geo.ui import server  # noqa: PLC0415 - Streamlit only for this command

    os.environ[ZONE_ENV] = str(read_zone_argument(args.zone).resolve())
    app = find_app_script()
    if not args.share:
        server.serve(app, gate.local_gate(args.allow_host), address="127.0.0.1", port=args.port)
        return 0
    shared, codes = gate.share_gate(
        os.environ,
        extra_hosts=args.allow_host,
        minutes=args.session_minutes,
        oidc=server.oidc_configured(app),
    )
    _print_room(shared, codes, args.port)
    server.serve(app, shared, address=_ALL_INTERFACES, port=args.port)
    return 0


def _before_runtime(record: logging.LogRecord) -> bool:
    """Drop "No runtime found": the caches find Streamlit's runtime when first called."""
    return "No runtime found" not in record.getMessage()


_ALL_INTERFACES = "::" if socket.has_ipv6 else "0.0.0.0"  # noqa: S104 - --share serves the room


def _print_room(shared: gate.Gate, codes: dict[str, str], port: int | None) -> None:
    """Print how the room joins: addresses, and the codes generated (shown this once only)."""
    port = port or 8501
    lines = ["", "eit-geo : atelier partagé / shared workshop"]
    for address in gate.machine_addresses():
        if address not in gate.LOCAL_HOSTS and not address.startswith("fe80"):
            lines.append(f"  http://{f'[{address}]' if ':' in address else address}:{port}")
    if shared.mode == "oidc":
        lines.append("  connexion par le fournisseur d'identité / sign-in by the identity provider")
    for role, code in codes.items():
        label = f"{t(f'access.role_{role}', 'fr')} / {t(f'access.role_{role}', 'en')}"
        lines.append(f"  {label:<27} {code}")
    if codes:
        lines.append("  (codes affichés une seule fois / shown this once only)")
    minutes = shared.sessions.seconds / 60 if shared.sessions else auth.DEFAULT_SESSION_MINUTES
    lines.append(f"  sessions : {minutes:g} min")
    print("\n".join(lines), flush=True)


register("app", "ouvrir le tableau de bord / start the dashboard", _app_arguments, _run_app)


def _match_arguments(parser: argparse.ArgumentParser) -> None:
    _zone_arguments(parser)
    parser.add_argument(
        "--max-km",
        action="append",
        default=[],
        metavar="KM | CODE_OU_FAMILLE=KM",
        help="distance maximale : 50 pour tout, material=300, steam=5 (répétable) / max distance",
    )
    parser.add_argument("--top", default="10", metavar="K", help="K meilleurs par offre et besoin")
    parser.add_argument("--out", type=Path, default=None, help="fichier .csv, .geojson ou .gpkg")
    parser.add_argument("--allocate", action="store_true", help="ajouter allocated_quantity")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr", help="langue / language")


def _match_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Read ``--max-km`` and ``--top`` (and check ``--out``'s suffix) as `Analysis` fields."""
    from eit_geo import matching, synergy_files  # noqa: PLC0415 - keeps the other commands light

    max_km = matching.parse_max_km(args.max_km, lang=args.lang)
    top_k = int(args.top) if args.top.strip().isdigit() else -1
    if top_k < 0:
        raise ValueError(t("engine.bad_top", args.lang, value=args.top))
    if args.out is not None and args.out.suffix.lower() not in synergy_files.OUTPUT_SUFFIXES:
        raise ValueError(t("engine.bad_out", args.lang, value=args.out.name))
    return {"max_km": tuple(max_km.items()), "top_k": top_k}


def _run_match(args: argparse.Namespace) -> int:
    # the analysis of the network running this year: stopped synergies are leads
    analysis = _analysis(args, lambda: _match_settings(args))
    if analysis is None:
        return EXIT_BAD_ZONE
    with _said_plainly(args.lang):
        return _match_and_report(analysis, args)


@contextlib.contextmanager
def _said_plainly(lang: str) -> Iterator[None]:
    """Print the engine's warnings as plain lines in ``lang`` once done, not as Python's."""
    from eit_geo.matching import UnitMismatchWarning  # noqa: PLC0415 - as in _run_match

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnitMismatchWarning)
        try:
            yield
        finally:
            for warning in caught:
                message = warning.message
                if isinstance(message, UnitMismatchWarning):
                    message = t("engine.unit_mismatch", lang, count=message.count)
                print(str(message), file=sys.stderr)


def _match_and_report(analysis: Analysis, args: argparse.Namespace) -> int:
    from eit_geo import synergy_files  # noqa: PLC0415 - keeps the other commands light

    if args.out is None:
        links, groups = analysis.matches(allocated=args.allocate, release=release_memory)
        name = zone_label(analysis.zone, args.lang)
        print(synergy_files.summary_text(links, groups, zone_name=name, lang=args.lang))
        return 0
    try:  # a CSV file written by chunks, memory bounded
        written = analysis.write(args.out, allocated=args.allocate, release=release_memory)
    except OSError as error:
        return _write_failed(args.out, error)
    print(t("engine.written", args.lang, path=args.out, **written._asdict()))
    return 0


register(
    "match",
    "trouver les synergies d'une zone / find a zone's synergy candidates",
    _match_arguments,
    _run_match,
)


def _indicators_arguments(parser: argparse.ArgumentParser) -> None:
    _zone_arguments(parser)
    parser.add_argument(
        "--scenario", choices=("existing", "optimal", "all"), default="all", help="scénario"
    )
    parser.add_argument("--json", action="store_true", help="sortie JSON / JSON output")
    parser.add_argument("--factors", type=Path, help="facteurs modifiés (CSV de data/factors.csv)")
    parser.add_argument("--prices", type=Path, help="prix : code, purchase_eur_per_unit, …")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr", help="langue / language")


def _indicator_tables(args: argparse.Namespace) -> dict[str, Any]:
    """Read ``--factors`` and ``--prices`` as `Analysis` fields."""
    from eit_geo import indicators  # noqa: PLC0415 - keeps the other commands light

    return {
        name: indicators.read_user_table(path, name, lang=args.lang)
        for name, path in (("factors", args.factors), ("prices", args.prices))
        if path is not None
    }


def _run_indicators(args: argparse.Namespace) -> int:
    from eit_geo import indicators  # noqa: PLC0415 - keeps the other commands light

    analysis = _analysis(args, lambda: _indicator_tables(args))
    if analysis is None:
        return EXIT_BAD_ZONE
    zone = analysis.zone
    names = ("existing", "optimal") if args.scenario == "all" else (args.scenario,)
    scenarios = [analysis.scenario(name) for name in names]
    if args.json:
        values = {"zone": zone.name, **{s.name: s.to_dict() for s in scenarios}}
        print(json.dumps(values, ensure_ascii=False, indent=2))
    else:
        print(indicators.summary_text(scenarios, zone_label(zone, args.lang), args.lang))
    return 0


register(
    "indicators",
    "indicateurs d'une zone (CO2, eau, énergie, tonnes) / a zone's indicators",
    _indicators_arguments,
    _run_indicators,
)


def _import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="fichiers, dossiers, zips / files, folders"
    )
    parser.add_argument("--out", required=True, type=Path, help="zone .gpkg à écrire / to write")
    parser.add_argument("--mapping", type=Path, help="correspondances corrigées / mapping file")
    parser.add_argument("--positions", type=Path, help="positions par SIRET (siret;x;y;epsg)")
    parser.add_argument("--crs", help="système des X/Y sans système déclaré, ex. 2154")
    parser.add_argument("--lang", choices=("fr", "en"), default="fr", help="langue / language")


def _run_import(args: argparse.Namespace) -> int:
    from eit_geo.importing import run_import  # noqa: PLC0415 - keeps the other commands light

    code, text = run_import(
        args.sources,
        args.out,
        mapping=args.mapping,
        positions=args.positions,
        crs=args.crs,
        lang=args.lang,
    )
    print(text, file=sys.stdout if code == 0 else sys.stderr)
    return code


register(
    "import",
    "importer des inventaires réels en zone / turn real inventories into a zone",
    _import_arguments,
    _run_import,
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="eit-geo",
        description=(
            "Écologie industrielle et territoriale : charger une zone, trouver les synergies, "
            "mesurer ce qu'elles apportent. / Industrial symbiosis: load a zone, find synergies, "
            "measure what they bring."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    for name, (help_text, add_arguments, run) in COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        add_arguments(sub)
        sub.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (2 for a zone that breaks the format)."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:  # output piped into `head` or a pager that closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
