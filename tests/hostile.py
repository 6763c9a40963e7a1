"""Hostile files, made on the fly: small on disk, huge or endless once read.

Each function returns the bytes of one file (a few KB to 2 MB): zips whose members inflate to
gigabytes with forged sizes, workbooks with millions of shared strings, rows or a 1 GiB cell,
GeoPackages with a recursive view or a trigger, a CSV header of ten million columns. Repeated
content is compressed once and its compressed bytes repeated (deflate blocks end on a byte after
a full flush; bzip2 blocks are joined bit by bit), so that making a gigabyte takes milliseconds.
"""

from __future__ import annotations

import bz2
import io
import sqlite3
import struct
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl

from eit_geo.export import export_zone

if TYPE_CHECKING:
    from eit_geo.zone import Zone

GIB = 1 << 30
_BZIP2_BLOCK = 45_000_000  # bytes of zeros one bzip2 block holds (run-length coded first)
_EOS = f"{0x177245385090:048b}"  # bzip2 end-of-stream marker


@dataclass(frozen=True)
class Member:
    """One member of a zip, given compressed: what the archive declares may be forged."""

    name: str
    method: int
    payload: bytes
    size: int
    crc: int = 0


def raw_zip(members: list[Member]) -> bytes:
    """Write a zip whose members declare the given sizes and checksums, true or not."""
    out = io.BytesIO()
    directory = []
    for member in members:
        name = member.name.encode()
        offset = out.tell()
        head = (20, 0, member.method, 0, 0, member.crc, len(member.payload), member.size)
        out.write(
            b"PK\x03\x04" + struct.pack("<HHHHHIII", *head) + struct.pack("<HH", len(name), 0)
        )
        out.write(name + member.payload)
        entry = (20, 20, 0, member.method, 0, 0, member.crc, len(member.payload), member.size)
        fields = struct.pack("<HHHHHHIII", *entry) + struct.pack(
            "<HHHHHII", len(name), 0, 0, 0, 0, 0, offset
        )
        directory.append(b"PK\x01\x02" + fields + name)
    start = out.tell()
    out.write(b"".join(directory))
    size = out.tell() - start
    count = len(members)
    out.write(b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, size, start, 0))
    return out.getvalue()


def deflate_repeated(block: bytes, count: int, prefix: bytes = b"", suffix: bytes = b"") -> Member:
    """Return a deflate member ``prefix + block × count + suffix`` (name and sizes to set)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
    part = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    tail = packer.compress(suffix) + packer.flush()
    size = len(prefix) + len(block) * count + len(suffix)
    crc = 0  # past 64 MB, not worth computing: every reader stops long before it checks it
    if size <= 64 << 20:
        crc = zlib.crc32(prefix)
        for _ in range(count):
            crc = zlib.crc32(block, crc)
        crc = zlib.crc32(suffix, crc)
    return Member("", zipfile.ZIP_DEFLATED, head + part * count + tail, size, crc)


def bzip2_zeros(blocks: int) -> bytes:
    """Return one bzip2 stream of ``blocks`` × 45 MB of zeros (about 32 bytes a block)."""
    one = bz2.compress(b"\0" * _BZIP2_BLOCK, 9)
    bits = f"{int.from_bytes(one, 'big'):0{len(one) * 8}b}"
    end = next(
        len(bits) - pad - 80 for pad in range(8) if bits[len(bits) - pad - 80 :].startswith(_EOS)
    )
    block = bits[32:end]  # after « BZh9 »: magic, block CRC, then the block
    block_crc = int(block[48:80], 2)
    combined = 0
    for _ in range(blocks):
        combined = (((combined << 1) | (combined >> 31)) & 0xFFFFFFFF) ^ block_crc
    stream = bits[:32] + block * blocks + _EOS + f"{combined:032b}"
    stream += "0" * (-len(stream) % 8)
    return int(stream, 2).to_bytes(len(stream) // 8, "big")


# --------------------------------------------------------------------------- zips


def bzip2_bomb() -> bytes:
    """A zip of ~13 KB: two CSV members that declare 100 bytes and inflate to 4 GiB each."""
    blocks = 4 * GIB // _BZIP2_BLOCK + 1
    stream = bzip2_zeros(blocks)
    return raw_zip(
        [Member(name, zipfile.ZIP_BZIP2, stream, 100) for name in ("companies.csv", "flows.csv")]
    )


def deflate_bomb() -> bytes:
    """A zip of ~2 MB: two CSV members that declare 100 bytes and inflate to 1.1 GB each."""
    member = deflate_repeated(b"\0" * (1 << 20), 1050)
    return raw_zip(
        [
            Member(name, zipfile.ZIP_DEFLATED, member.payload, 100)
            for name in ("companies.csv", "flows.csv")
        ]
    )


# --------------------------------------------------------------------------- workbooks

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook_parts(sheets: dict[str, list[list[object]]]) -> dict[str, bytes]:
    """Return the members of an XLSX workbook of ``sheets`` (openpyxl), by name."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def workbook_with(parts: dict[str, bytes], replaced: dict[str, Member]) -> bytes:
    """Return the XLSX file of ``parts`` with the members of ``replaced`` written raw instead."""
    members = []
    for name, data in parts.items():
        if name in replaced:
            members.append(replace(replaced[name], name=name))
        else:
            packed = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
            payload = packed.compress(data) + packed.flush()
            members.append(Member(name, 8, payload, len(data), zlib.crc32(data)))
    for name, member in replaced.items():
        if name not in parts:
            members.append(replace(member, name=name))
    return raw_zip(members)


def _zone_sheets() -> dict[str, list[list[object]]]:
    return {
        "companies": [["id", "name", "lat", "lon"], ["a", "Alpha", 48.85, 2.35]],
        "flows": [
            ["company_id", "direction", "resource", "quantity", "unit"],
            ["a", "output", "steam", 10, "MWh/yr"],
        ],
    }


def shared_strings_bomb(count: int = 30_000_000) -> bytes:
    """A workbook of ~2 MB whose shared strings table holds ``count`` strings (480 MB of XML)."""
    parts = workbook_parts(_zone_sheets())
    block = b"<si><t>x</t></si>" * 65_536
    prefix = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{_MAIN}" count="{count}" '
        f'uniqueCount="{count}">'
    ).encode()
    member = deflate_repeated(block, count // 65_536 + 1, prefix, b"</sst>")
    return workbook_with(parts, {"xl/sharedStrings.xml": member})


def long_cell_bomb(size: int = GIB) -> bytes:
    """A workbook of ~1 MB whose one shared string is ``size`` characters long."""
    parts = workbook_parts(_zone_sheets())
    prefix = f'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="{_MAIN}"><si><t>'.encode()
    member = deflate_repeated(b"x" * (1 << 20), size >> 20, prefix, b"</t></si></sst>")
    return workbook_with(parts, {"xl/sharedStrings.xml": member})


def many_rows_bomb(rows: int = 3_000_000) -> bytes:
    """A workbook of ~1 MB whose « flows » sheet holds ``rows`` rows."""
    parts = workbook_parts(_zone_sheets())
    prefix = f'<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="{_MAIN}"><sheetData>'
    block = b'<row><c t="n"><v>1</v></c></row>' * 65_536
    member = deflate_repeated(
        block, rows // 65_536 + 1, prefix.encode(), b"</sheetData></worksheet>"
    )
    return workbook_with(parts, {"xl/worksheets/sheet2.xml": member})


# --------------------------------------------------------------------------- GeoPackages and CSV


def recursive_view_geopackage(zone: Zone, folder: Path) -> bytes:
    """A project GeoPackage whose « flows » layer is a view that never ends."""
    path = export_zone(zone, folder / "vue.gpkg")
    with sqlite3.connect(path) as connection:
        connection.executescript(
            """
            DELETE FROM gpkg_contents WHERE table_name = 'flows';
            DROP TABLE flows;
            CREATE VIEW flows AS
                WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
                SELECT n AS fid, 'a' AS company_id FROM r ORDER BY n DESC;
            INSERT INTO gpkg_contents (table_name, data_type, identifier)
                VALUES ('flows', 'attributes', 'flows');
            """
        )
    connection.close()
    return path.read_bytes()


def trigger_geopackage(zone: Zone, folder: Path) -> bytes:
    """A project GeoPackage carrying a trigger that empties the flows on any new company."""
    path = export_zone(zone, folder / "declencheur.gpkg")
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TRIGGER vider AFTER INSERT ON companies BEGIN DELETE FROM flows; END"
        )
    connection.close()
    return path.read_bytes()


def wide_csv(columns: int = 10_000_000) -> bytes:
    """A CSV file of 20 MB whose header has ``columns`` columns."""
    return b"c;" * (columns - 1) + b"c\nx\n"
