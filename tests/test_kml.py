"""Tests for geo.kml: geometry, properties, namespaces, unsafe XML, KMZ."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon

from geo.errors import ArchiveError, InputFormatError
from geo.kml import parse_kml, read_kml_file

KML_NS = 'xmlns="http://www.opengis.net/kml/2.2"'
GX_NS = 'xmlns:gx="http://www.google.com/kml/ext/2.2"'

# 4 x 4 degree box with a 1 x 1 hole: planar area 15; tuples split over lines and
# tabs, with altitude in the outer ring and without it in the inner one.
POLYGON = """<Polygon><outerBoundaryIs><LinearRing><coordinates>
    30,40,0 34,40,0
\t34,44,0   30,44,0 30,40,0
</coordinates></LinearRing></outerBoundaryIs>
<innerBoundaryIs><LinearRing><coordinates>31,41 32,41 32,42 31,42 31,41</coordinates>
</LinearRing></innerBoundaryIs></Polygon>"""


def kml(body: str, ns: str = KML_NS) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<kml {ns}>{body}</kml>'.encode()


def ring_polygon(coords: str) -> str:
    return (
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
    )


def box(x0: float, y0: float, size: float = 1.0) -> str:
    x1, y1 = x0 + size, y0 + size
    return ring_polygon(f"{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1} {x0},{y0}")


def placemark(geometry: str, name: str = "p") -> str:
    return f"<Placemark><name>{name}</name>{geometry}</Placemark>"


# --- geometry -------------------------------------------------------------------------------


def test_polygon_with_hole_altitude_and_whitespace() -> None:
    geoms, props = parse_kml(kml(f"<Document>{placemark(POLYGON)}</Document>"), where="a.kml")
    (poly,) = geoms
    assert isinstance(poly, Polygon)
    assert len(poly.interiors) == 1
    assert not poly.has_z
    assert poly.area == pytest.approx(15.0)
    assert props[0]["name"] == "p"


@pytest.mark.parametrize(
    "ns",
    [
        KML_NS,
        "",
        'xmlns="http://earth.google.com/kml/2.1"',
        f"{KML_NS} {GX_NS}",
    ],
)
def test_namespaces_read_the_same(ns: str) -> None:
    geoms, _ = parse_kml(kml(f"<Document>{placemark(POLYGON)}</Document>", ns), where="a.kml")
    assert geoms[0] is not None and geoms[0].area == pytest.approx(15.0)


def test_gx_extensions() -> None:
    polygon = POLYGON.replace(
        "<Polygon>", "<Polygon><gx:altitudeMode>clampToSeaFloor</gx:altitudeMode>"
    )
    track = (
        "<gx:Track><when>2024-01-01</when><when>2024-01-02</when>"
        "<gx:coord>30 40 0</gx:coord><gx:coord>31 41 5</gx:coord></gx:Track>"
    )
    body = f"<Document>{placemark(polygon)}{placemark(track, 'route')}</Document>"
    geoms, _ = parse_kml(kml(body, f"{KML_NS} {GX_NS}"), where="a.kml")
    assert geoms[0] is not None and geoms[0].area == pytest.approx(15.0)
    assert isinstance(geoms[1], LineString) and list(geoms[1].coords) == [(30, 40), (31, 41)]


def test_multigeometry() -> None:
    two = f"<MultiGeometry>{box(30, 40)}{box(35, 40, 2)}</MultiGeometry>"
    point = "<Point><coordinates>30,40</coordinates></Point>"
    mixed = f"<MultiGeometry>{box(30, 40)}{point}</MultiGeometry>"
    inner = f"<MultiGeometry>{box(32, 40)}</MultiGeometry>"
    nested = f"<MultiGeometry>{box(30, 40)}{inner}</MultiGeometry>"
    empty = "<MultiGeometry></MultiGeometry>"
    body = "".join(placemark(g) for g in (two, mixed, nested, empty))
    geoms, _ = parse_kml(kml(body), where="a.kml")
    assert isinstance(geoms[0], MultiPolygon) and geoms[0].area == pytest.approx(5.0)
    assert isinstance(geoms[1], GeometryCollection)
    assert [g.geom_type for g in geoms[1].geoms] == ["Polygon", "Point"]
    assert isinstance(geoms[2], MultiPolygon) and len(geoms[2].geoms) == 2
    assert geoms[3] is not None and geoms[3].is_empty


def test_point_line_and_no_geometry() -> None:
    body = (
        placemark("<Point><coordinates>30.5,40.5,100</coordinates></Point>", "pin")
        + placemark("<LineString><coordinates>30,40 31,41 32,40</coordinates></LineString>")
        + "<Placemark><name>empty</name></Placemark>"
    )
    geoms, props = parse_kml(kml(body), where="a.kml")
    assert geoms[0] == Point(30.5, 40.5)
    assert isinstance(geoms[1], LineString) and len(geoms[1].coords) == 3
    assert geoms[2] is None
    assert [p["name"] for p in props] == ["pin", "p", "empty"]


def test_lenient_coordinates() -> None:
    # Spaces around commas, a trailing comma and an unclosed ring, as hand edits leave them.
    ring = "30, 40 31 ,40 31,41 30,41,"
    geoms, _ = parse_kml(kml(placemark(ring_polygon(ring))), where="a.kml")
    assert geoms[0] is not None and geoms[0].area == pytest.approx(1.0)


# --- properties -----------------------------------------------------------------------------


def test_properties_folder_style_and_extended_data() -> None:
    body = f"""<Document><name>ISW</name>
    <Placemark><name>top</name><styleUrl>#red</styleUrl>{box(30, 40)}</Placemark>
    <Folder><name>Assessed Russian Control</name>
      <Folder><name>Kherson</name>
        <Placemark><name>zone</name>
          <description><![CDATA[<b>seized</b> <script>alert(1)</script>]]></description>
          <ExtendedData>
            <Data name="layer"><displayName>Layer</displayName><value>russian_control</value></Data>
            <Data name="name"><value>shadow</value></Data>
            <Data name="empty"/>
            <SchemaData schemaUrl="#s"><SimpleData name="date">2024-06-01</SimpleData></SchemaData>
          </ExtendedData>
          {box(31, 41)}
        </Placemark>
      </Folder>
    </Folder></Document>"""
    _, props = parse_kml(kml(body), where="a.kml")
    assert props[0] == {"name": "top", "description": None, "folder": "ISW", "styleUrl": "#red"}
    assert props[1] == {
        "name": "zone",
        "description": "<b>seized</b> <script>alert(1)</script>",
        "folder": "ISW/Assessed Russian Control/Kherson",
        "styleUrl": None,
        "layer": "russian_control",
        "ExtendedData.name": "shadow",
        "empty": None,
        "date": "2024-06-01",
    }


def test_folder_is_none_at_top_level() -> None:
    _, props = parse_kml(kml(f"<Document>{placemark(box(30, 40))}</Document>"), where="a.kml")
    assert props[0]["folder"] is None
    _, props = parse_kml(kml(placemark(box(30, 40)), ""), where="a.kml")
    assert props[0]["folder"] is None


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("coords", "message"),
    [
        ("30,40 31,abc 31,41 30,40", "not a number"),
        ("30,40 31 31,41 30,40", "bad coordinate tuple '31'"),
        ("30,40,0,7 31,40 31,41 30,40", "bad coordinate tuple"),
        ("30,200 31,40 31,41 30,200", "not lon,lat in degrees"),
        ("30,40 31,nan 31,41 30,40", "not lon,lat"),
        ("30,40 31,40 30,40", "2 distinct points"),
    ],
)
def test_bad_coordinates_name_file_and_placemark(coords: str, message: str) -> None:
    body = placemark(box(30, 40), "fine") + placemark(ring_polygon(coords), "Bakhmut")
    with pytest.raises(InputFormatError, match=message) as info:
        parse_kml(kml(body), where="front.kml")
    assert "front.kml: placemark 1 ('Bakhmut')" in str(info.value)


def test_structural_errors() -> None:
    no_outer = "<Polygon><innerBoundaryIs/></Polygon>"
    with pytest.raises(InputFormatError, match=r"placemark 0 .*outerBoundaryIs"):
        parse_kml(kml(placemark(no_outer)), where="a.kml")
    no_coords = "<Point></Point>"
    with pytest.raises(InputFormatError, match="<Point> has no <coordinates>"):
        parse_kml(kml(placemark(no_coords)), where="a.kml")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE kml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<kml><Placemark><name>&lol9;</name></Placemark></kml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<kml><Placemark><name>&secret;</name></Placemark></kml>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_unsafe_xml_is_refused(data: bytes, tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match=r"evil\.kml: .*refused as unsafe"):
        parse_kml(data, where="evil.kml")
    path = tmp_path / "evil.kml"
    path.write_bytes(data)
    with pytest.raises(InputFormatError, match=r"evil\.kml"):
        read_kml_file(path)


def test_not_kml_and_malformed() -> None:
    with pytest.raises(InputFormatError, match=r"a\.kml: not well-formed XML"):
        parse_kml(kml(placemark(box(30, 40)))[:-20], where="a.kml")
    with pytest.raises(InputFormatError, match="root element <svg>"):
        parse_kml(b'<svg xmlns="http://www.w3.org/2000/svg"/>', where="a.kml")
    with pytest.raises(InputFormatError, match="no Placemark; nothing to read"):
        parse_kml(kml("<Document><name>empty</name></Document>"), where="a.kml")
    link = (
        "<Document><NetworkLink><Link><href>http://x/y.kml</href></Link></NetworkLink></Document>"
    )
    with pytest.raises(InputFormatError, match="NetworkLink"):
        parse_kml(kml(link), where="a.kml")


def test_deep_nesting_is_an_input_error() -> None:
    body = "<Folder>" * 3000 + placemark(box(30, 40)) + "</Folder>" * 3000
    with pytest.raises(InputFormatError, match="nested too deeply"):
        parse_kml(kml(body), where="a.kml")


# --- files and KMZ --------------------------------------------------------------------------


def test_kml_and_kmz_round_trip(tmp_path: Path) -> None:
    data = kml(f"<Document><Folder><name>control</name>{placemark(POLYGON)}</Folder></Document>")
    kml_path = tmp_path / "control.kml"
    kml_path.write_bytes(data)
    geoms, props = read_kml_file(kml_path)
    kmz_path = tmp_path / "control.KMZ"
    with zipfile.ZipFile(kmz_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("files/other.kml", kml(placemark(box(0, 0), "decoy")))
        zf.writestr("doc.kml", data)
        zf.writestr("files/icon.png", b"\x89PNG")
    kmz_geoms, kmz_props = read_kml_file(kmz_path)
    assert kmz_props == props and props[0]["folder"] == "control"
    assert len(kmz_geoms) == len(geoms) == 1
    assert kmz_geoms[0] is not None and geoms[0] is not None
    assert kmz_geoms[0].equals(geoms[0])
    # A KMZ renamed to .kml is still read as a KMZ.
    renamed = tmp_path / "renamed.kml"
    renamed.write_bytes(kmz_path.read_bytes())
    assert read_kml_file(renamed)[1] == props


def test_kmz_without_doc_kml_reads_first_kml(tmp_path: Path) -> None:
    path = tmp_path / "a.kmz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hi")
        zf.writestr("layers/first.kml", kml(placemark(box(30, 40), "first")))
        zf.writestr("second.kml", kml(placemark(box(30, 40), "second")))
    assert read_kml_file(path)[1][0]["name"] == "first"


def test_kmz_errors_name_the_archive(tmp_path: Path) -> None:
    empty = tmp_path / "empty.kmz"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("icon.png", b"png")
    with pytest.raises(
        InputFormatError, match=r"empty\.kmz: the KMZ holds no \.kml file \(found icon\.png\)"
    ):
        read_kml_file(empty)
    evil = tmp_path / "evil.kmz"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("doc.kml", kml(placemark(box(30, 40))))
        zf.writestr("../../evil.kml", "x")
    with pytest.raises(ArchiveError, match=r"evil\.kmz: member '\.\./\.\./evil\.kml'"):
        read_kml_file(evil)
    bad = tmp_path / "bad.kmz"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("doc.kml", kml(placemark("<Point><coordinates>x,y</coordinates></Point>")))
    with pytest.raises(InputFormatError, match=r"bad\.kmz!doc\.kml: placemark 0"):
        read_kml_file(bad)
    with pytest.raises(InputFormatError, match=r"missing\.kml: cannot read"):
        read_kml_file(tmp_path / "missing.kml")
