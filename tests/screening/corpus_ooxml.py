"""Generated OOXML packages (DOCX, XLSX, PPTX) with relationships, content types and text in every
place a reader can meet it, plus CSV tables. Each builder takes the text to put in one place, so
a test can put a stamp there, or a near-miss.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RT = R  # relationship types share the namespace
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
P = "http://schemas.openxmlformats.org/presentationml/2006/main"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
CT_BASE = "application/vnd.openxmlformats-officedocument"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


@dataclass
class Package:
    """Parts with their content types and relationships; ``build()`` writes the zip."""

    parts: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    rels: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)

    def add(
        self,
        name: str,
        ctype: str,
        content: str | bytes,
        *,
        source: str | None = "",
        rel: str = "",
        rid: str | None = None,
    ) -> str:
        """Add part ``name``; when ``source`` is not ``None``, relate it from ``source``
        (``""`` is the package root) with relationship type ``rel``. Returns the id."""
        data = content.encode() if isinstance(content, str) else content
        self.parts[name] = (ctype, data)
        if source is None:
            return ""
        entries = self.rels.setdefault(source, [])
        rid = rid or f"rId{len(entries) + 1}"
        base = posixpath.dirname(source)
        target = posixpath.relpath(name, base) if base else name
        entries.append((rid, rel, target))
        return rid

    def build(self) -> bytes:
        types = [
            f'<Override PartName="/{name}" ContentType="{ctype}"/>'
            for name, (ctype, _) in self.parts.items()
            if ctype
        ]
        ct = (
            f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Default Extension="png" ContentType="image/png"/>'
            f"{''.join(types)}</Types>"
        )
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("[Content_Types].xml", ct)
            for source, entries in self.rels.items():
                folder, base = posixpath.split(source)
                rels_name = posixpath.join(folder, "_rels", f"{base}.rels")
                body = "".join(
                    f'<Relationship Id="{rid}" Type="{rel}" Target={quoteattr(target)}/>'
                    for rid, rel, target in entries
                )
                zf.writestr(
                    rels_name,
                    f'{XML_HEAD}<Relationships xmlns="http://schemas.openxmlformats.org/package/'
                    f'2006/relationships">{body}</Relationships>',
                )
            for name, (_, data) in self.parts.items():
                zf.writestr(name, data)
        return out.getvalue()


def core(pkg: Package, title: str = "Thông cáo báo chí") -> None:
    pkg.add(
        "docProps/core.xml",
        "application/vnd.openxmlformats-package.core-properties+xml",
        f'{XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{escape(title)}</dc:title></cp:coreProperties>",
        rel="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
    )


# -- DOCX ----------------------------------------------------------------------------------------

WORDML = f"{CT_BASE}.wordprocessingml"
BENIGN_DOCX = [
    "THÔNG CÁO BÁO CHÍ",
    "Lễ hội du lịch biển Đà Nẵng năm 2026 thu hút hơn 50.000 lượt du khách.",
    "Sản phẩm mật ong rừng U Minh được giới thiệu tại hội chợ.",
    "Độ mật: Thường",
]


def wpara(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def _wdoc(root: str, inner: str, extra_ns: str = "") -> str:
    return f'{XML_HEAD}<w:{root} xmlns:w="{W}" xmlns:r="{R}"{extra_ns}>{inner}</w:{root}>'


_DRAWING_NS = (
    ' xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
    f' xmlns:a="{A}" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
    ' xmlns:v="urn:schemas-microsoft-com:vml"'
    ' xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"'
)


def docx(
    body: list[str] | None = None,
    *,
    main: str = "word/document.xml",
    body_xml: str = "",
    place: str = "",
    text: str = "",
) -> bytes:
    """A DOCX with the benign press release in its body; ``place`` puts ``text`` in one of
    :data:`DOCX_PLACES`."""
    pkg = Package()
    paragraphs = "".join(wpara(t) for t in (body if body is not None else BENIGN_DOCX))
    extra: list[str] = []
    sect: list[str] = []
    if place:
        DOCX_PLACES[place](pkg, main, text, extra, sect)
    document = _wdoc(
        "document",
        f"<w:body>{paragraphs}{body_xml}{''.join(extra)}<w:sectPr>{''.join(sect)}</w:sectPr>"
        "</w:body>",
        _DRAWING_NS,
    )
    pkg.add(main, f"{WORDML}.document.main+xml", document, rel=f"{RT}/officeDocument")
    core(pkg)
    # The main part is added after its children: move it first so that relationships resolve.
    pkg.parts = {main: pkg.parts.pop(main), **pkg.parts}
    return pkg.build()


Placer = Callable[[Package, str, str, list[str], list[str]], None]


def _header(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    rid = pkg.add(
        "word/kopf-erste-seite.xml",
        f"{WORDML}.header+xml",
        _wdoc("hdr", wpara(text)),
        source=main,
        rel=f"{RT}/header",
        rid="rIdHdr",
    )
    sect.append(f'<w:headerReference w:type="default" r:id="{rid}"/>')


def _footer(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    rid = pkg.add(
        "word/chan-trang.xml",
        f"{WORDML}.footer+xml",
        _wdoc("ftr", wpara(text)),
        source=main,
        rel=f"{RT}/footer",
        rid="rIdFtr",
    )
    sect.append(f'<w:footerReference w:type="default" r:id="{rid}"/>')


def _watermark(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    shape = (
        '<w:p><w:r><w:pict><v:shape type="#_x0000_t136" style="width:400pt;height:100pt">'
        f"<v:textpath string={quoteattr(text)}/></v:shape></w:pict></w:r></w:p>"
    )
    rid = pkg.add(
        "word/header2.xml",
        f"{WORDML}.header+xml",
        _wdoc("hdr", shape, ' xmlns:v="urn:schemas-microsoft-com:vml"'),
        source=main,
        rel=f"{RT}/header",
        rid="rIdWm",
    )
    sect.append(f'<w:headerReference w:type="default" r:id="{rid}"/>')


def _textbox_wps(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    extra.append(
        "<w:p><w:r><w:drawing><wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx>"
        f"<w:txbxContent>{wpara(text)}</w:txbxContent></wps:txbx></wps:wsp></a:graphicData>"
        "</a:graphic></wp:anchor></w:drawing></w:r></w:p>"
    )


def _textbox_vml(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    extra.append(
        "<w:p><w:r><w:pict><v:shape><v:textbox><w:txbxContent>"
        f"{wpara(text)}</w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>"
    )


def _drawing_text(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    extra.append(
        "<w:p><w:r><w:drawing><wp:inline><a:graphic><a:graphicData><a:txBody><a:p><a:r>"
        f"<a:t>{escape(text)}</a:t></a:r></a:p></a:txBody></a:graphicData></a:graphic>"
        "</wp:inline></w:drawing></w:r></w:p>"
    )


def _chart_xml(text: str) -> str:
    return (
        f'{XML_HEAD}<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart"'
        f' xmlns:a="{A}"><c:chart><c:title><c:tx><c:rich><a:p><a:r><a:t>{escape(text)}</a:t>'
        "</a:r></a:p></c:rich></c:tx></c:title><c:plotArea><c:barChart><c:ser><c:cat>"
        '<c:strRef><c:f>Sheet1!$A$2</c:f><c:strCache><c:ptCount val="1"/><c:pt idx="0">'
        "<c:v>Quý I</c:v></c:pt></c:strCache></c:strRef></c:cat><c:val><c:numRef>"
        '<c:f>Sheet1!$B$2</c:f><c:numCache><c:ptCount val="1"/><c:pt idx="0"><c:v>12</c:v>'
        '</c:pt></c:numCache></c:numRef></c:val></c:ser><c:axId val="1"/><c:axId val="2"/>'
        '</c:barChart><c:catAx><c:axId val="1"/><c:crossAx val="2"/></c:catAx><c:valAx>'
        '<c:axId val="2"/><c:crossAx val="1"/></c:valAx></c:plotArea></c:chart></c:chartSpace>'
    )


def _chart(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    rid = pkg.add(
        "word/charts/chart7.xml",
        f"{CT_BASE}.drawingml.chart+xml",
        _chart_xml(text),
        source=main,
        rel=f"{RT}/chart",
        rid="rIdChart",
    )
    extra.append(
        '<w:p><w:r><w:drawing><wp:inline><wp:extent cx="5486400" cy="3200400"/>'
        '<wp:docPr id="7" name="Biểu đồ 7"/><a:graphic><a:graphicData '
        'uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart r:id="{rid}"/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>'
    )


def _smartart(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    pkg.add(
        "word/diagrams/data1.xml",
        f"{CT_BASE}.drawingml.diagramData+xml",
        f'{XML_HEAD}<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/'
        f'diagram" xmlns:a="{A}"><dgm:ptLst><dgm:pt modelId="1"><dgm:t><a:p><a:r>'
        f"<a:t>{escape(text)}</a:t></a:r></a:p></dgm:t></dgm:pt></dgm:ptLst></dgm:dataModel>",
        source=main,
        rel=f"{RT}/diagramData",
    )


def _notes(kind: str, root: str, item: str) -> Placer:
    def place(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
        pkg.add(
            f"word/{kind}.xml",
            f"{WORDML}.{kind}+xml",
            _wdoc(root, f'<w:{item} w:id="1">{wpara(text)}</w:{item}>'),
            source=main,
            rel=f"{RT}/{kind}",
        )

    return place


def _glossary(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    pkg.add(
        "word/glossary/document.xml",
        f"{WORDML}.document.glossary+xml",
        _wdoc(
            "glossaryDocument",
            f"<w:docParts><w:docPart><w:docPartBody>{wpara(text)}"
            "</w:docPartBody></w:docPart></w:docParts>",
        ),
        source=main,
        rel="http://schemas.openxmlformats.org/officeDocument/2006/relationships/glossaryDocument",
    )


def _custom_xml(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    pkg.add(
        "customXml/item1.xml",
        "",
        f"{XML_HEAD}<hoSo><doMat>{escape(text)}</doMat></hoSo>",
        source=main,
        rel=f"{RT}/customXml",
    )


def _alt_text(pkg: Package, main: str, text: str, extra: list[str], sect: list[str]) -> None:
    extra.append(
        f'<w:p><w:r><w:drawing><wp:inline><wp:docPr id="1" name="Hình 1" descr={quoteattr(text)}/>'
        "</wp:inline></w:drawing></w:r></w:p>"
    )


DOCX_PLACES: dict[str, Placer] = {
    "header": _header,
    "footer": _footer,
    "watermark": _watermark,
    "textbox_wps": _textbox_wps,
    "textbox_vml": _textbox_vml,
    "drawing_text": _drawing_text,
    "chart": _chart,
    "smartart": _smartart,
    "footnotes": _notes("footnotes", "footnotes", "footnote"),
    "endnotes": _notes("endnotes", "endnotes", "endnote"),
    "comments": _notes("comments", "comments", "comment"),
    "glossary": _glossary,
    "custom_xml": _custom_xml,
    "alt_text": _alt_text,
}
# Places a reader does not see on the page: a marking there gives at least ``review``.
DOCX_UNSEEN = frozenset({"comments", "glossary", "custom_xml", "alt_text"})


# -- XLSX ----------------------------------------------------------------------------------------

SML = f"{CT_BASE}.spreadsheetml"
STATISTICS = [
    ["Đơn vị hành chính", "Diện tích (km2)", "Dân số (người)", "Mật độ dân số (người/km2)"],
    ["Thành phố Huế", "265,99", "652572", "2453"],
    ["Thị xã Hương Thủy", "458,17", "115000", "251"],
]


def _cell(value: str) -> str:
    if value.replace(",", "").isdigit() and "," not in value:
        return f"<c><v>{value}</v></c>"
    return f'<c t="inlineStr"><is><t>{escape(value)}</t></is></c>'


def sheet_xml(rows: list[list[str]], tail: str = "") -> str:
    body = "".join(f'<row r="{n}">{"".join(_cell(v) for v in row)}</row>' for n, row in
                   enumerate(rows, start=1))  # fmt: skip
    return f'{XML_HEAD}<worksheet xmlns="{S}" xmlns:r="{R}"><sheetData>{body}</sheetData>{tail}</worksheet>'


def xlsx(*, place: str = "", text: str = "", rows: list[list[str]] | None = None) -> bytes:
    """A statistics workbook (``mật độ dân số``); ``place`` puts ``text`` in one of
    :data:`XLSX_PLACES`."""
    pkg = Package()
    main = "xl/workbook.xml"
    sheets: list[tuple[str, str, str]] = [("Dân số", "visible", sheet_xml(rows or STATISTICS))]
    extra_wb: list[str] = []
    if place:
        XLSX_PLACES[place](pkg, sheets, text, extra_wb)
    entries = []
    for number, (name, state, xml) in enumerate(sheets, start=1):
        part = f"xl/worksheets/trang{number}.xml"
        rid = pkg.add(part, f"{SML}.worksheet+xml", xml, source=main, rel=f"{RT}/worksheet",
                      rid=f"rIdS{number}")  # fmt: skip
        entries.append(
            f'<sheet name={quoteattr(name)} sheetId="{number}" state="{state}" r:id="{rid}"/>'
        )
    workbook = (
        f'{XML_HEAD}<workbook xmlns="{S}" xmlns:r="{R}"><sheets>{"".join(entries)}</sheets>'
        f"{''.join(extra_wb)}</workbook>"
    )
    pkg.add(main, f"{SML}.sheet.main+xml", workbook, rel=f"{RT}/officeDocument")
    core(pkg)
    return pkg.build()


XlPlacer = Callable[[Package, list[tuple[str, str, str]], str, list[str]], None]


def _print_header(
    pkg: Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]
) -> None:
    tail = f"<headerFooter><oddHeader>&amp;C{escape(text)}</oddHeader></headerFooter>"
    sheets[0] = (sheets[0][0], sheets[0][1], sheet_xml(STATISTICS, tail))


def _print_footer(
    pkg: Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]
) -> None:
    tail = f"<headerFooter><evenFooter>&amp;L{escape(text)}</evenFooter></headerFooter>"
    sheets[0] = (sheets[0][0], sheets[0][1], sheet_xml(STATISTICS, tail))


def _validation(pkg: Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]) -> None:
    tail = (
        '<dataValidations count="1"><dataValidation type="list" sqref="A2" showInputMessage="1"'
        f' promptTitle={quoteattr(text)} prompt={quoteattr(text)}><formula1>"A,B"</formula1>'
        "</dataValidation></dataValidations>"
    )
    sheets[0] = (sheets[0][0], sheets[0][1], sheet_xml(STATISTICS, tail))


def _hidden_sheet(
    pkg: Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]
) -> None:
    sheets.append(("Ẩn", "veryHidden", sheet_xml([[text]])))


def _sheet_name(pkg: Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]) -> None:
    sheets.append((text, "visible", sheet_xml([["Ghi chú"]])))


def _defined_name(
    pkg: Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]
) -> None:
    wb.append(
        f'<definedNames><definedName name="GhiChu">"{escape(text)}"</definedName></definedNames>'
    )


def _pivot(pkg: Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]) -> None:
    pkg.add(
        "xl/pivotCache/pivotCacheDefinition1.xml",
        f"{SML}.pivotCacheDefinition+xml",
        f'{XML_HEAD}<pivotCacheDefinition xmlns="{S}"><cacheFields count="1">'
        f'<cacheField name="Loại"><sharedItems><s v={quoteattr(text)}/></sharedItems>'
        "</cacheField></cacheFields></pivotCacheDefinition>",
        source="xl/workbook.xml",
        rel=f"{RT}/pivotCacheDefinition",
    )


def _xl_chart(pkg: Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]) -> None:
    drawing = "xl/drawings/drawing1.xml"
    pkg.add(drawing, f"{CT_BASE}.drawing+xml",
            f'{XML_HEAD}<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
            f'spreadsheetDrawing" xmlns:a="{A}"/>', source="xl/worksheets/trang1.xml",
            rel=f"{RT}/drawing")  # fmt: skip
    pkg.add("xl/charts/bieudo.xml", f"{CT_BASE}.drawingml.chart+xml", _chart_xml(text),
            source=drawing, rel=f"{RT}/chart")  # fmt: skip


def _xl_comment(pkg: Package, sheets: list[tuple[str, str, str]], text: str, wb: list[str]) -> None:
    pkg.add(
        "xl/ghichu1.xml",
        f"{SML}.comments+xml",
        f'{XML_HEAD}<comments xmlns="{S}"><authors><author>A</author></authors><commentList>'
        f'<comment ref="A1" authorId="0"><text><t>{escape(text)}</t></text></comment>'
        "</commentList></comments>",
        source="xl/worksheets/trang1.xml",
        rel=f"{RT}/comments",
    )


XLSX_PLACES: dict[str, XlPlacer] = {
    "print_header": _print_header,
    "print_footer": _print_footer,
    "validation": _validation,
    "hidden_sheet": _hidden_sheet,
    "sheet_name": _sheet_name,
    "defined_name": _defined_name,
    "pivot": _pivot,
    "chart": _xl_chart,
    "comment": _xl_comment,
}
XLSX_UNSEEN = frozenset({"validation", "defined_name", "pivot", "comment", "hidden_sheet"})


# -- PPTX ----------------------------------------------------------------------------------------

PML = f"{CT_BASE}.presentationml"
BENIGN_SLIDES = [
    ["Hội nghị xúc tiến du lịch 2026", "Mời các doanh nghiệp tham gia gian hàng."],
    ["Độ mật: Thường", "Mật độ dân số tỉnh đạt 250 người/km2."],
]


def _sp(text: str, number: int) -> str:
    return (
        f'<p:sp><p:nvSpPr><p:cNvPr id="{number + 2}" name="TextBox {number}"/><p:cNvSpPr txBox="1"/>'
        f'<p:nvPr/></p:nvSpPr><p:spPr><a:xfrm><a:off x="457200" y="{457200 + number * 900000}"/>'
        '<a:ext cx="8000000" cy="800000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
        f'</p:spPr><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:rPr lang="vi-VN"/>'
        f"<a:t>{escape(text)}</a:t></a:r></a:p></p:txBody></p:sp>"
    )


def _slide(root: str, texts: list[str], attrs: str = "", inner: str = "") -> str:
    shapes = "".join(_sp(t, n) for n, t in enumerate(texts))
    return (
        f'{XML_HEAD}<p:{root} xmlns:p="{P}" xmlns:a="{A}" xmlns:r="{R}"{attrs}><p:cSld><p:spTree>'
        '<p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/>'
        f"{shapes}</p:spTree></p:cSld>{inner}</p:{root}>"
    )


_THEME = (
    f'{XML_HEAD}<a:theme xmlns:a="{A}" name="Office"><a:themeElements><a:clrScheme name="C">'
    + "".join(
        f'<a:{n}><a:srgbClr val="{v}"/></a:{n}>'
        for n, v in (("dk1", "000000"), ("lt1", "FFFFFF"), ("dk2", "1F497D"), ("lt2", "EEECE1"),
                     ("accent1", "4F81BD"), ("accent2", "C0504D"), ("accent3", "9BBB59"),
                     ("accent4", "8064A2"), ("accent5", "4BACC6"), ("accent6", "F79646"),
                     ("hlink", "0000FF"), ("folHlink", "800080"))
    )
    + '</a:clrScheme><a:fontScheme name="F"><a:majorFont><a:latin typeface="DejaVu Sans"/>'
    '<a:ea typeface=""/><a:cs typeface=""/></a:majorFont><a:minorFont>'
    '<a:latin typeface="DejaVu Sans"/><a:ea typeface=""/><a:cs typeface=""/></a:minorFont>'
    '</a:fontScheme><a:fmtScheme name="M"><a:fillStyleLst>'
    + '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>' * 3
    + "</a:fillStyleLst><a:lnStyleLst>"
    + '<a:ln w="9525"><a:solidFill><a:schemeClr val="phClr"/></a:solidFill></a:ln>' * 3
    + "</a:lnStyleLst><a:effectStyleLst>"
    + "<a:effectStyle><a:effectLst/></a:effectStyle>" * 3
    + "</a:effectStyleLst><a:bgFillStyleLst>"
    + '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>' * 3
    + "</a:bgFillStyleLst></a:fmtScheme></a:themeElements></a:theme>"
)  # fmt: skip
_CLR_MAP = (
    '<p:clrMap bg1="lt1" tx1="dk1" bg2="lt2" tx2="dk2" accent1="accent1" accent2="accent2" '
    'accent3="accent3" accent4="accent4" accent5="accent5" accent6="accent6" hlink="hlink" '
    'folHlink="folHlink"/>'
)


def pptx(*, place: str = "", text: str = "", slides: list[list[str]] | None = None) -> bytes:
    """A two-slide presentation with a layout and a master; ``place`` puts ``text`` in one of
    :data:`PPTX_PLACES`."""
    pkg = Package()
    main = "ppt/presentation.xml"
    master = "ppt/slideMasters/slideMaster1.xml"
    layout = "ppt/slideLayouts/slideLayout1.xml"
    texts = {"master": ["Nhấp để sửa kiểu tiêu đề"], "layout": ["Tiêu đề"]}
    slide_texts = [list(s) for s in (slides or BENIGN_SLIDES)]
    hidden = ""
    if place in ("master", "layout"):
        texts[place].append(text)
    elif place == "slide":
        slide_texts[0].append(text)
    elif place == "hidden_slide":
        slide_texts.append([text])
        hidden = ' show="0"'
    pkg.add(main, f"{PML}.presentation.main+xml",
            f'{XML_HEAD}<p:presentation xmlns:p="{P}" xmlns:r="{R}"><p:sldMasterIdLst>'
            '<p:sldMasterId id="2147483648" r:id="rIdM"/></p:sldMasterIdLst><p:sldIdLst>'
            + "".join(f'<p:sldId id="{256 + n}" r:id="rIdSl{n}"/>' for n in range(len(slide_texts)))
            + '</p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/>'
            '<p:notesSz cx="6858000" cy="9144000"/></p:presentation>',
            rel=f"{RT}/officeDocument")  # fmt: skip
    pkg.add(master, f"{PML}.slideMaster+xml",
            _slide("sldMaster", texts["master"], inner=_CLR_MAP + '<p:sldLayoutIdLst>'
                   '<p:sldLayoutId id="2147483649" r:id="rIdL"/></p:sldLayoutIdLst>'),
            source=main, rel=f"{RT}/slideMaster", rid="rIdM")  # fmt: skip
    pkg.add(layout, f"{PML}.slideLayout+xml", _slide("sldLayout", texts["layout"]),
            source=master, rel=f"{RT}/slideLayout", rid="rIdL")  # fmt: skip
    pkg.add("ppt/theme/theme1.xml", f"{CT_BASE}.theme+xml", _THEME, source=master,
            rel=f"{RT}/theme")  # fmt: skip
    pkg.add(master, f"{PML}.slideMaster+xml", pkg.parts[master][1], source=layout,
            rel=f"{RT}/slideMaster")  # fmt: skip
    for number, words in enumerate(slide_texts):
        part = f"ppt/slides/slide{number + 1}.xml"
        attrs = hidden if number == len(slide_texts) - 1 and hidden else ""
        pkg.add(part, f"{PML}.slide+xml", _slide("sld", words, attrs), source=main,
                rel=f"{RT}/slide", rid=f"rIdSl{number}")  # fmt: skip
        pkg.add(layout, f"{PML}.slideLayout+xml", pkg.parts[layout][1], source=part,
                rel=f"{RT}/slideLayout")  # fmt: skip
    first = "ppt/slides/slide1.xml"
    if place == "notes":
        pkg.add("ppt/notesSlides/notesSlide1.xml", f"{PML}.notesSlide+xml",
                _slide("notes", [text]), source=first, rel=f"{RT}/notesSlide")  # fmt: skip
    elif place == "comment_legacy":
        pkg.add("ppt/comments/comment1.xml", f"{PML}.comments+xml",
                f'{XML_HEAD}<p:cmLst xmlns:p="{P}"><p:cm authorId="0" idx="1"><p:pos x="1" y="1"/>'
                f"<p:text>{escape(text)}</p:text></p:cm></p:cmLst>", source=first,
                rel=f"{RT}/comments")  # fmt: skip
    elif place == "comment_modern":
        pkg.add("ppt/comments/modernComment_1.xml",
                "application/vnd.ms-powerpoint.comments+xml",
                f'{XML_HEAD}<p188:cmLst xmlns:p188="http://schemas.microsoft.com/office/'
                f'powerpoint/2018/8/main" xmlns:a="{A}"><p188:cm id="{{1}}" authorId="{{2}}">'
                f"<p188:txBody><a:p><a:r><a:t>{escape(text)}</a:t></a:r></a:p></p188:txBody>"
                "</p188:cm></p188:cmLst>", source=first,
                rel="http://schemas.microsoft.com/office/2018/10/relationships/comments")  # fmt: skip
    elif place == "chart":
        pkg.add("ppt/charts/chart3.xml", f"{CT_BASE}.drawingml.chart+xml", _chart_xml(text),
                source=first, rel=f"{RT}/chart")  # fmt: skip
    core(pkg)
    return pkg.build()


PPTX_PLACES = ("slide", "hidden_slide", "notes", "comment_legacy", "comment_modern", "layout",
               "master", "chart")  # fmt: skip
PPTX_UNSEEN = frozenset({"notes", "comment_legacy", "comment_modern", "hidden_slide"})


# -- CSV -----------------------------------------------------------------------------------------


def csv_table(rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    def cell(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "\r\n".join(delimiter.join(cell(v) for v in row) for row in rows).encode(encoding)
