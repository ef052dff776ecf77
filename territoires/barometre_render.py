"""The baromètre as a file: PDF (fpdf2) or PNG (Pillow), like the weekly review's.

Both take a :class:`territoires.barometre_report.BarometreDoc` (the content the page shows)
and reuse the review's drawing parts (:mod:`territoires.report_render`: the fonts, the
characters a font can draw, the charts through kaleido and a headless Chromium). The PDF
carries its text as text (title, the highlighted territory's sentence, the uncertainty in
words, the ranking table); the charts are images. Territory names are drawn as plain text.
"""

from __future__ import annotations

import io
import textwrap
from typing import Any

from territoires.barometre_report import BarometreDoc
from territoires.report_render import _font_file, _printable, chart_png

BLUE_RGB = (0, 0, 145)
GREY_RGB = (80, 80, 80)


def render_pdf(doc: BarometreDoc) -> bytes:
    """A4 landscape: the title, the highlighted territory, the ranking chart and the
    sentences; then the table; then the weeks of each territory."""
    from fpdf import FPDF  # optional heavy library, loaded here only
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_margins(12, 10, 12)
    pdf.set_title(doc.title)
    pdf.set_creator("Territoires")
    regular, bold = _font_file(False), _font_file(True)
    family = "helvetica"
    if regular and bold:
        pdf.add_font("DejaVu", "", regular)
        pdf.add_font("DejaVu", "B", bold)
        family = "DejaVu"

    def line(text: str, size: float, b: bool = False, h: float | None = None,
             rgb: tuple[int, int, int] = (17, 17, 17)) -> None:
        pdf.set_font(family, "B" if b else "", size)
        pdf.set_text_color(*rgb)
        pdf.multi_cell(0, h or size * 0.5, _printable(text, b), new_x="LMARGIN", new_y="NEXT")

    width = pdf.w - pdf.l_margin - pdf.r_margin

    def chart(title: str, fig: Any) -> None:
        """``fig`` under its title, as large as the rest of the page allows, its shape kept."""
        line(title, 14, True, 7)
        px_w, px_h = 1600, int(fig.layout.height or 500)
        room = pdf.h - pdf.b_margin - pdf.get_y() - 2
        w = min(width, room * px_w / px_h)
        png = chart_png(fig, px_w, px_h, scale=1.5)
        pdf.image(io.BytesIO(png), x=pdf.l_margin + (width - w) / 2, w=w, h=w * px_h / px_w)

    pdf.add_page()
    line(doc.title, 22, True, 10)
    line(doc.subtitle, 13, h=6.5)
    line(doc.asof_line, 10, h=5, rgb=GREY_RGB)
    if doc.you:
        pdf.ln(1)
        line(doc.you, 12, True, 6, rgb=BLUE_RGB)
    pdf.ln(2)
    chart(*doc.figures[0])
    pdf.add_page()
    for s in [*doc.sentences, *doc.notes]:
        line(s, 10, h=5)
    pdf.ln(4)
    line(doc.label, 14, True, 7)
    pdf.set_font(family, "", 8.5)
    pdf.set_text_color(17, 17, 17)
    head = FontFace(emphasis="BOLD", fill_color=(235, 235, 245))
    cols = len(doc.table.columns)
    widths = (8, 34, 22, 14, 14, 14, *([20] * (cols - 8)), 16, 14)[:cols]
    with pdf.table(headings_style=head, line_height=4.6, text_align="LEFT",
                   col_widths=widths) as table:
        table.row([_printable(str(c), True) for c in doc.table.columns])
        for rec in doc.table.itertuples(index=False):
            table.row([_printable(str(v)) for v in rec])
    for title, fig in doc.figures[1:]:
        pdf.add_page()
        chart(title, fig)
    return bytes(pdf.output())


def render_png(doc: BarometreDoc, width: int = 1920) -> bytes:
    """One tall image, 1920 px wide: the title, the highlighted territory, the ranking, the
    sentences and the weeks of each territory."""
    from PIL import Image, ImageDraw, ImageFont  # optional heavy library, loaded here only

    def ttf(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        path = _font_file(bold)
        return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)

    pad = 48
    charts = []
    for title, fig in doc.figures:
        h = int(fig.layout.height or 500)
        charts.append((title, Image.open(io.BytesIO(chart_png(fig, width - 2 * pad,
                                                               int(h * 1.25))))))
    lines = len(doc.sentences) + len(doc.notes) + 8
    canvas = Image.new("RGB", (width, 400 + lines * 70 + sum(i.height + 80 for _, i in charts)),
                       "white")
    draw = ImageDraw.Draw(canvas)
    y = pad

    def text(s: str, size: int, bold: bool = False, fill: str = "#111111", wrap: int = 0) -> None:
        nonlocal y
        s = _printable(s, bold)
        for ln in (textwrap.wrap(s, wrap) if wrap else [s]) or [""]:
            draw.text((pad, y), ln, font=ttf(size, bold), fill=fill)
            y += int(size * 1.3)

    text(doc.title, 56, True)
    text(doc.subtitle, 30, wrap=100)
    text(doc.asof_line, 24, fill="#505050")
    if doc.you:
        y += 8
        text(doc.you, 30, True, fill="#000091", wrap=100)
    y += 16
    for n, (title, img) in enumerate(charts):
        text(title, 34, True)
        canvas.paste(img, (pad, y))
        y += img.height + 24
        if n == 0:
            for s in [*doc.sentences, *doc.notes]:
                text(s, 24, wrap=130)
            y += 24
    out = io.BytesIO()
    canvas.crop((0, 0, width, min(y + pad, canvas.height))).save(out, format="PNG",
                                                                 optimize=True)
    return out.getvalue()


def render(doc: BarometreDoc, fmt: str) -> bytes:
    if fmt == "pdf":
        return render_pdf(doc)
    if fmt == "png":
        return render_png(doc)
    raise ValueError(f"unknown format {fmt!r} (pdf or png)")
