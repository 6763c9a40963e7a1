"""Tests of eit_geo.import_columns: headers and direction words as real files write them."""

from __future__ import annotations

import pytest

from eit_geo.import_columns import (
    direction_of_name,
    header_signature,
    header_unit,
    read_direction,
    recognise_columns,
)


def test_chamber_of_commerce_headers() -> None:
    headers = [
        "SIRET", "Raison sociale", "Adresse", "Code postal", "Commune", "X", "Y", "Code NAF",
        "Sens du flux", "Ressource", "Quantité", "Unité", "Commentaire",
    ]  # fmt: skip
    assert recognise_columns(headers) == {
        "SIRET": "siret", "Raison sociale": "name", "Adresse": "address",
        "Code postal": "postcode", "Commune": "commune", "X": "x", "Y": "y",
        "Code NAF": "sector", "Sens du flux": "direction", "Ressource": "resource",
        "Quantité": "quantity", "Unité": "unit", "Commentaire": "",
    }  # fmt: skip


def test_english_list_headers() -> None:
    headers = ["Company Name", "Industry", "Latitude", "Longitude", "Resource Needs", "By-Products"]
    assert recognise_columns(headers) == {
        "Company Name": "name", "Industry": "activity", "Latitude": "lat",
        "Longitude": "lon", "Resource Needs": "needs", "By-Products": "offers",
    }  # fmt: skip


def test_contract_and_template_headers() -> None:
    headers = ["entreprise", "sens", "ressource", "quantité", "unité", "libellé"]
    assert recognise_columns(headers) == {
        "entreprise": "company", "sens": "direction", "ressource": "resource",
        "quantité": "quantity", "unité": "unit", "libellé": "label",
    }  # fmt: skip
    assert recognise_columns(["company_id", "from_id", "to_id", "depuis"]) == {
        "company_id": "company", "from_id": "from_id", "to_id": "to_id", "depuis": "since",
    }  # fmt: skip


def test_one_combined_column_and_units_in_headers() -> None:
    fields = recognise_columns(["Nom", "lat, lon", "Quantité (t/an)", "N° SIRET", "Latitude"])
    assert fields == {
        "Nom": "name", "lat, lon": "latlon", "Quantité (t/an)": "quantity",
        "N° SIRET": "siret", "Latitude": "lat",
    }  # fmt: skip
    assert header_unit("Quantité (t/an)") == "t/an"
    assert header_unit("Quantité") is None


def test_a_field_is_taken_once() -> None:
    assert recognise_columns(["Nom", "Raison sociale"]) == {"Nom": "name", "Raison sociale": ""}


def test_signature_ignores_order_case_and_accents() -> None:
    assert header_signature(["Quantité", "Nom"]) == header_signature(["nom", "QUANTITE"])
    assert header_signature(["Nom"]) != header_signature(["Nom", "Quantité"])


@pytest.mark.parametrize(
    ("word", "expected"),
    [("Entrant", "input"), ("Sortant", "output"), ("entrée", "input"), ("sortie", "output"),
     ("Need", "input"), ("By-product", "output"), ("besoin", "input"), ("offre", "output"),
     ("", None), ("peut-être", None)],
)  # fmt: skip
def test_direction_words(word: str, expected: str | None) -> None:
    assert read_direction(word) == expected


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("Ressources entrantes", "input"),
        ("Ressources sortantes", "output"),
        ("besoins.csv", "input"),
        ("Sous-produits", "output"),
        ("Déchets & rejets", "output"),
        ("By-products 2023", "output"),
        ("Entrées et sorties", None),  # both: the name does not decide
        ("Feuil1", None),
        ("Data in 2023", None),  # « in »: too short a word to be read
    ],
)
def test_direction_of_a_sheet_or_file_name(name: str, direction: str | None) -> None:
    assert direction_of_name(name) == direction


def test_small_words_do_not_hide_a_header() -> None:
    fields = recognise_columns(["Nom de l'établissement", "Code postal de la commune", "Adresse"])
    assert fields == {
        "Nom de l'établissement": "name",  # « Nom établissement » in the synonym table
        "Code postal de la commune": "",  # more than small words: not guessed
        "Adresse": "address",
    }


def test_a_cell_too_long_for_a_header_names_no_column() -> None:
    # hostile: blanks inside Excel's longest cell, where a header's unit would be looked for
    long = "Quantité" + " " * 32_700 + "(t/an)x"
    assert recognise_columns([long]) == {long: ""}
    assert header_unit(long) is None
    assert header_unit("Quantité (t/an)") == "t/an"
