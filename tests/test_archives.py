"""Tests for geo.archives: unsafe ZIPs refused, bombs capped, real ISW ZIPs accepted."""

from __future__ import annotations

import gzip
import hashlib
import stat
import struct
import zipfile
from pathlib import Path

import pytest

from geo import archives
from geo.archives import (
    check_zip,
    extract_zip,
    read_gzip,
    read_zip_member,
    sha256_file,
)
from geo.errors import ArchiveError, InputFormatError

MIB = 1024**2


def make_zip(path: Path, members: dict[str, bytes], *, method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return path


def patch_headers(path: Path, *, local: dict[int, bytes], central: dict[int, bytes]) -> None:
    """Overwrite fields of the (single) member's local header and central entry."""
    raw = bytearray(path.read_bytes())
    for signature, fields in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        start = raw.find(signature)
        assert start >= 0
        for offset, value in fields.items():
            raw[start + offset : start + offset + len(value)] = value
    path.write_bytes(bytes(raw))


# --- check_zip -------------------------------------------------------------------------------


def test_check_zip_lists_files_without_directories(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "ok.zip",
        {"layer/": b"", "layer/a.shp": b"shp", "b.prj": b"prj", "..x/c.txt": b"c", "a..b": b"d"},
    )
    infos = check_zip(path)
    assert [i.filename for i in infos] == ["layer/a.shp", "b.prj", "..x/c.txt", "a..b"]


def test_not_a_zip_and_corrupt_zip_name_the_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.zip"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(ArchiveError, match=r"notes\.zip: not a ZIP"):
        check_zip(text)
    good = make_zip(tmp_path / "good.zip", {"a.txt": b"a" * 1000})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good.read_bytes()[:-30])
    with pytest.raises(ArchiveError, match=r"cut\.zip"):
        check_zip(cut)
    with pytest.raises(ArchiveError, match=r"missing\.zip"):
        check_zip(tmp_path / "missing.zip")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", r"'\.\.' component"),
        ("ok/../../evil.txt", r"'\.\.' component"),
        ("..\\evil.txt", r"'\.\.' component"),
        ("ok\\..\\..\\evil.txt", r"'\.\.' component"),
        ("/tmp/evil.txt", "absolute path"),
        ("\\\\server\\share\\evil.txt", "absolute path"),
        ("C:/evil.txt", "drive letter"),
        ("c:evil.txt", "drive letter"),
    ],
)
def test_traversal_members_are_refused(tmp_path: Path, name: str, reason: str) -> None:
    path = make_zip(tmp_path / "bad.zip", {"fine.txt": b"x", name: b"evil"})
    with pytest.raises(ArchiveError, match=reason) as info:
        check_zip(path)
    assert "bad.zip" in str(info.value) and "evil.txt" in str(info.value)
    dest = tmp_path / "out" / "deeper"
    with pytest.raises(ArchiveError):
        extract_zip(path, dest)
    assert not list(tmp_path.rglob("evil.txt"))
    assert not (dest / "fine.txt").exists()  # refused before anything is written


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("passwd")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveError, match=r"link\.zip: member 'passwd' is a symbolic link"):
        check_zip(path)


def test_too_many_members(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "many.zip", {f"{i}.txt": b"" for i in range(6)})
    assert len(check_zip(path, max_members=6)) == 6
    with pytest.raises(ArchiveError, match="6 members, more than the limit of 5"):
        check_zip(path, max_members=5)
    assert archives.MAX_MEMBERS == 10_000


def test_declared_total_over_limit(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "big.zip", {"a.bin": b"a" * 600, "b.bin": b"b" * 600})
    assert len(check_zip(path, max_bytes=1200)) == 2
    with pytest.raises(ArchiveError, match="declares 1200 uncompressed bytes"):
        check_zip(path, max_bytes=1000)
    with pytest.raises(ArchiveError, match="declares 1200"):
        extract_zip(path, tmp_path / "out", max_bytes=1000)
    assert not (tmp_path / "out" / "a.bin").exists()


def test_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        zf.open("zeros.bin", "w") as fh,
    ):
        for _ in range(50):
            fh.write(bytes(MIB))  # 50 MB of zeros
    assert path.stat().st_size < MIB
    with pytest.raises(ArchiveError, match=r"bomb\.zip: member 'zeros\.bin' expands \d+-fold"):
        check_zip(path)
    # Small members may compress well: below 1 MiB the ratio is not judged.
    small = make_zip(tmp_path / "small.zip", {"zeros.bin": bytes(MIB // 2)})
    assert len(check_zip(small)) == 1


def test_encrypted_member_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "secret.zip", {"a.txt": b"secret"})
    flag = struct.pack("<H", 0x1)
    patch_headers(path, local={6: flag}, central={8: flag})
    with pytest.raises(ArchiveError, match=r"secret\.zip: member 'a\.txt' is encrypted"):
        check_zip(path)


def test_unknown_compression_method_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "odd.zip", {"a.txt": b"data"})
    method = struct.pack("<H", 97)
    patch_headers(path, local={8: method}, central={10: method})
    with pytest.raises(ArchiveError, match="compression method 97"):
        check_zip(path)


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("sub/a.txt", "one")
        zf.writestr("sub\\a.txt", "two")  # same file once backslashes are separators
    with pytest.raises(ArchiveError, match="extract to the same file"):
        check_zip(path)


# --- extract_zip ----------------------------------------------------------------------------


def test_extract_zip_writes_only_under_dest(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "layer.zip",
        {"dir/": b"", "dir/a.shp": b"shape", "b.prj": b"proj", "win\\c.dbf": b"table"},
    )
    dest = tmp_path / "out"
    files = extract_zip(path, dest)
    assert files == [
        dest.resolve() / "dir" / "a.shp",
        dest.resolve() / "b.prj",
        dest.resolve() / "win" / "c.dbf",
    ]
    assert [f.read_bytes() for f in files] == [b"shape", b"proj", b"table"]
    assert {p.name for p in tmp_path.iterdir()} == {"layer.zip", "out"}


def test_extract_zip_never_overwrites(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "a.zip", {"a.txt": b"theirs", "b.txt": b"b"})
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "b.txt").write_bytes(b"mine")
    with pytest.raises(ArchiveError, match=r"b\.txt: .*already exists"):
        extract_zip(path, dest)
    assert (dest / "b.txt").read_bytes() == b"mine"
    assert not (dest / "a.txt").exists()  # partial output removed


def test_extract_cap_holds_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = make_zip(tmp_path / "a.zip", {"a.bin": b"a" * 3000, "b.bin": b"b" * 3000})
    # Bypass the declared-size check: the streaming cap alone must stop the read.
    real_check = archives.check_zip
    monkeypatch.setattr(archives, "check_zip", lambda p, **_: real_check(p))
    dest = tmp_path / "out"
    with pytest.raises(ArchiveError, match=r"a\.zip!b\.bin: expands to more than 2000 bytes"):
        extract_zip(path, dest, max_bytes=5000)
    assert list(dest.iterdir()) == []


def test_lying_declared_size_is_corrupt_not_truncated(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "liar.zip", {"a.bin": b"a" * 1000}, method=zipfile.ZIP_STORED)
    size = struct.pack("<I", 10)
    patch_headers(path, local={22: size}, central={24: size})
    assert check_zip(path)[0].file_size == 10
    with pytest.raises(ArchiveError, match=r"liar\.zip!a\.bin: the member is corrupt"):
        extract_zip(path, tmp_path / "out")
    assert not (tmp_path / "out" / "a.bin").exists()
    with pytest.raises(ArchiveError, match="corrupt"):
        read_zip_member(path, "a.bin")


# --- read_zip_member ------------------------------------------------------------------------


def test_read_zip_member(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "a.kmz", {"doc.kml": b"<kml/>", "files/x.png": b"png" * 100})
    assert read_zip_member(path, "doc.kml") == b"<kml/>"
    with pytest.raises(ArchiveError, match=r"a\.kmz!other\.kml: no such member.*doc\.kml"):
        read_zip_member(path, "other.kml")
    with pytest.raises(ArchiveError, match="declares 300 bytes, more than the limit of 100"):
        read_zip_member(path, "files/x.png", max_bytes=100)


def test_read_zip_member_checks_the_archive(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "bad.kmz", {"doc.kml": b"<kml/>", "../evil.kml": b"x"})
    with pytest.raises(ArchiveError, match=r"\.\./evil\.kml"):
        read_zip_member(path, "doc.kml")


# --- read_gzip ------------------------------------------------------------------------------


def test_read_gzip_round_trip_and_multi_member(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson.gz"
    path.write_bytes(gzip.compress(b'{"type": ') + gzip.compress(b'"FeatureCollection"}'))
    assert read_gzip(path) == b'{"type": "FeatureCollection"}'


def test_gzip_bomb_is_capped(tmp_path: Path) -> None:
    path = tmp_path / "bomb.json.gz"
    with gzip.open(path, "wb") as fh:
        for _ in range(8):
            fh.write(bytes(MIB))
    assert path.stat().st_size < 100_000
    with pytest.raises(ArchiveError, match=r"bomb\.json\.gz: expands to more than 1048576 bytes"):
        read_gzip(path, max_bytes=MIB)
    assert len(read_gzip(path, max_bytes=8 * MIB, max_ratio=float("inf"))) == 8 * MIB


def write_gzip_zeros(path: Path, n_mib: int) -> Path:
    with gzip.open(path, "wb", compresslevel=9) as fh:
        for _ in range(n_mib):
            fh.write(bytes(MIB))
    return path


def test_gzip_bomb_ratio_is_refused_while_streaming(tmp_path: Path) -> None:
    # 16 MiB of zeros in ~16 kB: far under the byte cap, far over the ratio.
    path = write_gzip_zeros(tmp_path / "bomb_20230501.geojson.gz", 16)
    assert path.stat().st_size < 50_000
    with pytest.raises(ArchiveError) as info:
        read_gzip(path)
    message = str(info.value)
    assert message.startswith(f"{path}: expands ")
    assert f"above the limit of {archives.MAX_RATIO:.0f}" in message
    assert "decompress it yourself" in message
    # Refused while streaming: well before the 16 MiB were inflated.
    expanded = int(message.split(" -> ")[1].split()[0])
    assert expanded < 8 * MIB
    # The limit is a parameter; under 1 MiB the ratio is not judged (small files compress well).
    assert len(read_gzip(path, max_ratio=10_000)) == 16 * MIB
    assert read_gzip(write_gzip_zeros(tmp_path / "small.json.gz", 0)) == b""
    small = tmp_path / "half.json.gz"
    small.write_bytes(gzip.compress(bytes(MIB // 2)))
    assert len(read_gzip(small)) == MIB // 2


def test_gzip_bomb_ratio_is_an_input_problem_for_io(tmp_path: Path) -> None:
    from geo.io import read_many

    write_gzip_zeros(tmp_path / "bomb_20230501.geojson.gz", 8)
    (problem,) = read_many([tmp_path]).problems
    assert "bomb_20230501.geojson.gz: expands" in problem


def test_truncated_and_corrupt_gzip(tmp_path: Path) -> None:
    payload = gzip.compress(bytes(range(256)) * 400)
    truncated = tmp_path / "cut.geojson.gz"
    truncated.write_bytes(payload[: len(payload) // 2])
    with pytest.raises(
        InputFormatError, match=r"cut\.geojson\.gz: the gzip stream is truncated"
    ) as e:
        read_gzip(truncated)
    assert not isinstance(e.value, ArchiveError)

    bad_crc = tmp_path / "crc.geojson.gz"
    bad_crc.write_bytes(payload[:-8] + b"\0" * 8)
    with pytest.raises(InputFormatError, match=r"crc\.geojson\.gz: not a gzip file or a corrupt"):
        read_gzip(bad_crc)

    mangled = tmp_path / "mangled.geojson.gz"
    mangled.write_bytes(payload[:20] + b"\xff" * 50 + payload[70:])
    with pytest.raises(InputFormatError, match=r"mangled\.geojson\.gz"):
        read_gzip(mangled)

    plain = tmp_path / "plain.geojson.gz"
    plain.write_text("{}", encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"plain\.geojson\.gz: not a gzip file"):
        read_gzip(plain)

    with pytest.raises(InputFormatError, match=r"missing\.gz: cannot read"):
        read_gzip(tmp_path / "missing.gz")


# --- sha256_file ----------------------------------------------------------------------------


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    data = b"geo" * 1_000_000
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    with pytest.raises(InputFormatError, match=r"missing\.bin: cannot read"):
        sha256_file(tmp_path / "missing.bin")


# --- real data ------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_isw_zips_pass_and_extract(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "raw-formats" / "isw-shapefile-zips-2022-04-13"
    zips = sorted(folder.glob("*.zip"))
    assert len(zips) == 4
    expected = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".shp.xml"}
    for path in zips:
        before = sha256_file(path)
        infos = check_zip(path)
        stems = {Path(i.filename).name.split(".")[0] for i in infos}
        suffixes = {Path(i.filename).name[len(next(iter(stems))) :] for i in infos}
        assert len(stems) == 1, path.name
        assert suffixes == expected, path.name
        files = extract_zip(path, tmp_path / path.stem)
        assert [f.stat().st_size for f in files] == [i.file_size for i in infos]
        assert sha256_file(path) == before
