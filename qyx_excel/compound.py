"""A small writer of Microsoft compound files (MS-CFB, version 3: 512-byte sectors).

``vbaProject.bin`` is a compound file: a FAT-based little file system with storages (folders)
and streams.  ``ms-cfb`` 0.0.6, which ``ms-ovba`` uses, writes only the first FAT sector
correctly, so any project past ≈ 64 KB comes out broken — and xlwings' own VBA module, which the
standalone ledger embeds, is 46 KB of source before our modules.  No maintained Python library
writes compound files (``olefile`` can only overwrite streams in place; ``cfb`` on PyPI reads
only), so this module writes them, after MS-CFB §2:

* streams below the 4096-byte cutoff go to the mini stream (64-byte mini sectors, chained in
  the MiniFAT), larger ones to regular sectors; every chain is contiguous;
* the FAT describes every sector, its own included; up to 109 FAT sectors are listed in the
  header (files up to ≈ 6.8 MB — no DIFAT sectors are written, larger input is refused);
* each storage's children form a red-black tree ordered as MS-CFB §2.6.4 says (shorter names
  first, then upper-cased code points): a balanced tree whose deepest level is red when the
  tree is not perfect, every other node black.

The result depends on its input only (no clock, no randomness).  Tests read it back with
``olefile`` (strict defects), ``olevba`` and LibreOffice.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_HEADER_FAT_SLOTS = 109
_PER_SECTOR = SECTOR // 4
_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    colour: int = _BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def sort_key(name: str) -> tuple[int, str]:
    """MS-CFB's order of sibling names: by length in UTF-16 code units, then upper-cased."""
    return (len(name.encode("utf-16-le")) // 2, name.upper())


def write_compound(streams: Mapping[str, bytes]) -> bytes:
    """The bytes of a compound file holding *streams* (``"VBA/dir"`` → data; storages implied).

    Raises ``ValueError`` for a bad name (empty, longer than 31 characters, or one of ``/ \\ : !``)
    or a file beyond what 109 FAT sectors describe.
    """
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        node = root
        for i, part in enumerate(parts):
            if not part or len(part) > 31 or any(c in part for c in "\\:!"):
                raise ValueError(f"not a compound-file entry name: {part!r} in {path!r}")
            last = i == len(parts) - 1
            found = next((c for c in node.children.values() if c.name.upper() == part.upper()), None)
            if found is None:
                found = _Entry(part, _STREAM if last else _STORAGE, bytes(data) if last else b"")
                node.children[part] = found
            elif last or found.kind != _STORAGE:
                raise ValueError(f"duplicate compound-file entry: {path!r}")
            node = found

    entries = _number(root)
    for entry in entries:
        if entry.children:
            entry.child = _tree(sorted(entry.children.values(), key=lambda e: sort_key(e.name)))

    # The mini stream: small streams, each padded to whole mini sectors, chains contiguous.
    mini = bytearray()
    minifat: list[int] = []
    big = [e for e in entries if e.kind == _STREAM and len(e.data) >= MINI_CUTOFF]
    for e in entries:
        if e.kind != _STREAM:
            continue
        e.size = len(e.data)
        if e.size == 0 or e.size >= MINI_CUTOFF:
            continue
        count = -(-e.size // MINI_SECTOR)
        e.start = len(minifat)
        minifat += [*range(e.start + 1, e.start + count), ENDOFCHAIN]
        mini += e.data.ljust(count * MINI_SECTOR, b"\x00")

    # Regular sectors: big streams, the mini stream, the directory, the MiniFAT, then the FAT.
    sectors = bytearray()
    fat: list[int] = []

    def put(data: bytes) -> int:
        if not data:
            return ENDOFCHAIN
        start = len(fat)
        count = -(-len(data) // SECTOR)
        fat.extend([*range(start + 1, start + count), ENDOFCHAIN])
        sectors.extend(data.ljust(count * SECTOR, b"\x00"))
        return start

    for e in big:
        e.start = put(e.data)
    root.start = put(bytes(mini))
    root.size = len(mini)
    directory = b"".join(_pack(e) for e in entries)
    directory += _pack(None) * (-len(entries) % (SECTOR // 128))
    first_dir = put(directory)
    first_minifat = put(b"".join(struct.pack("<I", n) for n in minifat)) if minifat else ENDOFCHAIN
    minifat_sectors = -(-len(minifat) // _PER_SECTOR)

    fat_sectors = 1
    while fat_sectors * _PER_SECTOR < len(fat) + fat_sectors:
        fat_sectors += 1
    if fat_sectors > _HEADER_FAT_SLOTS:
        raise ValueError(f"compound file too large: {fat_sectors} FAT sectors (at most {_HEADER_FAT_SLOTS})")
    fat_start = len(fat)
    fat += [FATSECT] * fat_sectors
    fat += [FREESECT] * (fat_sectors * _PER_SECTOR - len(fat))
    sectors += b"".join(struct.pack("<I", n) for n in fat)
    difat = [fat_start + i for i in range(fat_sectors)] + [FREESECT] * (_HEADER_FAT_SLOTS - fat_sectors)

    header = (
        _SIGNATURE
        + bytes(16)  # header CLSID
        + struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack(
            "<IIIIIIIII",
            0,
            fat_sectors,
            first_dir,
            0,
            MINI_CUTOFF,
            first_minifat,
            minifat_sectors,
            ENDOFCHAIN,
            0,
        )
        + b"".join(struct.pack("<I", n) for n in difat)
    )
    assert len(header) == SECTOR
    return header + bytes(sectors)


def _number(root: _Entry) -> list[_Entry]:
    """Every entry, root first, storages' children in name order; sets ``sid``."""
    out: list[_Entry] = []
    pending = [root]
    while pending:
        entry = pending.pop(0)
        entry.sid = len(out)
        out.append(entry)
        pending += sorted(entry.children.values(), key=lambda e: sort_key(e.name))
    return out


def _tree(siblings: list[_Entry]) -> int:
    """Link sorted *siblings* into a balanced red-black tree; return the root's SID."""
    depth_of: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = siblings[mid]
        depth_of[mid] = depth
        node.left = build(lo, mid, depth + 1)
        node.right = build(mid + 1, hi, depth + 1)
        return node.sid

    top = build(0, len(siblings), 0)
    deepest = max(depth_of.values())
    perfect = len(siblings) == 2 ** (deepest + 1) - 1
    for i, node in enumerate(siblings):
        node.colour = _RED if depth_of[i] == deepest and not perfect and deepest > 0 else _BLACK
    return top


def _pack(entry: _Entry | None) -> bytes:
    """One 128-byte directory entry (an unused one for ``None``)."""
    if entry is None:
        return (
            bytes(64)
            + struct.pack("<HBBIII", 0, 0, _RED, NOSTREAM, NOSTREAM, NOSTREAM)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", 0, 0)
        )
    name = entry.name.encode("utf-16-le") + b"\x00\x00"
    start = entry.start if entry.kind != _STORAGE else 0
    size = entry.size if entry.kind != _STORAGE else 0
    return (
        name.ljust(64, b"\x00")
        + struct.pack("<HBBIII", len(name), entry.kind, entry.colour, entry.left, entry.right, entry.child)
        + bytes(16)  # CLSID
        + bytes(4)  # state bits
        + bytes(16)  # created, modified: zero (no clock: the same input gives the same bytes)
        + struct.pack("<IQ", start, size)
    )
