"""The weekly review as a file for the minutes: PDF (fpdf2) or PNG (Pillow).

Both take a :class:`territoires.report.ReviewDoc` (the same content the page shows) and
draw the charts through kaleido, which drives a headless Chromium: Debian's ``chromium``
when it is on ``PATH`` or named by ``$BROWSER_PATH`` (docs/design.md §10: about 3.5 s for the first
figure, 0.3 s for each after, once kaleido's sync server runs). The PDF carries its text as
text (titles, headline numbers, notable posts), so it can be searched and copied; the
charts are embedded images. Post texts are drawn as plain text, never interpreted.
"""

from __future__ import annotations

import io
import os
import shutil
import textwrap
import threading
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from model import settings
from territoires.report import ReviewDoc

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TONE_RGB = {"good": (0, 110, 50), "bad": (185, 20, 30), "neutral": (70, 70, 70)}
EXPECTED_RGB = (0, 96, 90)  # the expected-answer family (after triage): its own colour
FIRST_CHART_MIN_MM = 55.0  # page 1's chart is drawn flatter down to this, then moves on
_lock = threading.Lock()
_server = {"running": False}


class RenderError(RuntimeError):
    """The report cannot be drawn here (no browser for the charts)."""


def find_browser() -> str:
    """``$BROWSER_PATH`` or a Chromium on ``PATH`` (exported as ``BROWSER_PATH`` for kaleido)."""
    given = settings.BROWSER_PATH.get()
    if given and Path(given).exists():
        return given
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            os.environ["BROWSER_PATH"] = found
            return found
    raise RenderError("no Chromium browser found for the charts: install Debian's `chromium` "
                      "or set BROWSER_PATH to a Chrome/Chromium executable")


@contextmanager
def chart_session() -> Iterator[None]:
    """Keep one kaleido browser for the figures drawn inside (started once per process)."""
    import kaleido  # optional heavy library, loaded here only

    find_browser()
    with _lock:
        if not _server["running"]:
            kaleido.start_sync_server(silence_warnings=True)
            _server["running"] = True
    yield


def stop_charts() -> None:
    """Stop the process's kaleido browser (the CLI does, the dashboard keeps it)."""
    import kaleido  # optional heavy library, loaded here only

    with _lock:
        if _server["running"]:
            kaleido.stop_sync_server(silence_warnings=True)
            _server["running"] = False


def chart_png(fig: go.Figure, width: int, height: int, scale: float = 1.0) -> bytes:
    with chart_session(), _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "kopts ignored if using a server"
        return fig.to_image(format="png", width=width, height=height, scale=scale)


@lru_cache(maxsize=4)
def _font_file(bold: bool) -> str | None:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in FONT_DIRS:
        p = Path(d) / name
        if p.exists():
            return str(p)
    return None


@lru_cache(maxsize=4)
def _glyphs(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # optional heavy library, loaded here only

    return frozenset(TTFont(path).getBestCmap())


def _printable(text: str, bold: bool = False) -> str:
    """``text`` without the characters the font cannot draw (emoji, mostly) nor control
    characters but line breaks and tabs (bidi overrides and isolates would reorder the
    line; names and texts come bounded from :func:`territoires.report.sections`)."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in
                   ("Cc", "Cf") or ch in "\u200c\u200d")
    path = _font_file(bold)
    if path is None:  # core PDF font: Latin-1 only
        text = text.replace("\u202f", " ").replace("−", "-").replace("…", "...")
        return text.encode("latin-1", "replace").decode("latin-1")
    cmap = _glyphs(path)
    return "".join(ch for ch in text if ord(ch) in cmap or ch in "\n\t").strip()


# -- PDF -------------------------------------------------------------------------------------
def render_pdf(doc: ReviewDoc) -> bytes:
    """A4 landscape: page 1 the headline numbers and the first chart, page 2 the other charts,
    then the notable posts and new local relayers."""
    from fpdf import FPDF  # optional heavy library, loaded here only

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

    def font(size: float, b: bool = False, rgb: tuple[int, int, int] = (17, 17, 17)) -> None:
        pdf.set_font(family, "B" if b else "", size)
        pdf.set_text_color(*rgb)

    def line(text: str, size: float, b: bool = False, h: float | None = None,
             rgb: tuple[int, int, int] = (17, 17, 17)) -> None:
        font(size, b, rgb)
        pdf.multi_cell(0, h or size * 0.5, _printable(text, b), new_x="LMARGIN", new_y="NEXT")

    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.add_page()
    line(doc.title, 22, True, 10)
    line(doc.subtitle, 14, h=7)
    line(doc.asof_line, 10, h=5, rgb=(80, 80, 80))
    if doc.privacy_line:
        line(doc.privacy_line, 9, h=4.5, rgb=(80, 80, 80))
    pdf.ln(2)
    cw, ch, gap = (width - 2 * 4) / 3, 28.0, 4.0
    top = pdf.get_y()
    for n, card in enumerate(doc.cards):
        x, y = pdf.l_margin + (n % 3) * (cw + gap), top + (n // 3) * (ch + gap)
        pdf.set_draw_color(17, 17, 17)
        pdf.set_line_width(0.4)
        pdf.rect(x, y, cw, ch)
        pdf.set_xy(x + 3, y + 2)
        font(10, True)
        pdf.cell(cw - 6, 5, _printable(card.label, True))
        pdf.set_xy(x + 3, y + 7.5)
        font(22, True, (0, 0, 145))
        pdf.cell(cw - 6, 10, _printable(card.value, True))
        for k, (text, tone) in enumerate(((card.vs_prev, card.tone_prev),
                                          (card.vs_avg, card.tone_avg))):
            pdf.set_xy(x + 3, y + 17.5 + 4.6 * k)
            font(9.5, False, TONE_RGB[tone])
            pdf.cell(cw - 6, 5, _printable(text))
    pdf.set_y(top + 2 * ch + gap + 3)
    if doc.expected is not None:
        _pdf_expected(pdf, doc, font, width)

    img_h = width * 460 / 1600
    for n, (title, fig) in enumerate(doc.figures):
        h = img_h
        room = pdf.h - pdf.b_margin - pdf.get_y() - 8
        if n == 0 and FIRST_CHART_MIN_MM <= room < img_h:
            h = room  # page 1 keeps its chart, a little flatter, under the expected row
        elif n == 1 or pdf.get_y() + img_h + 8 > pdf.h - pdf.b_margin:
            pdf.add_page()
        line(title, 14, True, 7)
        png = chart_png(fig, 1600, round(1600 * h / width), scale=1.5)
        pdf.image(io.BytesIO(png), x=pdf.l_margin, w=width, h=h)
        pdf.ln(4)

    pdf.add_page()
    for sec in doc.sections:
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        line(sec.title, 15, True, 8, rgb=(0, 0, 145))
        if not sec.items:
            line(sec.empty, 10, h=5)
        for it in sec.items:
            line(it.head, 11, True, 5.5)
            line(it.meta, 9.5, h=5, rgb=(70, 70, 70))
            if it.text:
                line(it.text, 10.5, h=5)
            if it.url:
                line(it.url, 8.5, h=4.5, rgb=(60, 60, 60))
            pdf.ln(1.5)
        pdf.ln(3)
    return bytes(pdf.output())


def _fit(pdf: Any, text: str, bold: bool, size: float, width: float) -> float:
    """The largest font size up to ``size`` at which ``text`` fits ``width`` mm."""
    pdf.set_font(pdf.font_family, "B" if bold else "", size)
    w = pdf.get_string_width(text)
    return size if w <= width else max(size * width / w, 5.0)


def _wrap_px(text: str, fits: Callable[[str], bool]) -> list[str]:
    """``text`` in lines that each ``fits`` (greedy, on spaces)."""
    lines: list[str] = []
    for word in text.split():
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _pdf_expected(pdf: Any, doc: ReviewDoc, font: Callable[..., None], width: float) -> None:
    """The expected-answer family under the cards: its title and sentence on one line, then
    one box per figure (label, value); our own words and numbers only."""
    x = doc.expected
    assert x is not None
    head = _printable(f"{x.title} — {x.caption}", True)
    size = _fit(pdf, head, True, 9.5, width)
    font(size, True, EXPECTED_RGB)
    pdf.cell(width, 5, head, new_x="LMARGIN", new_y="NEXT")
    n, gap, bh = len(x.figures), 3.0, 16.0
    bw, top = (width - (n - 1) * gap) / n, pdf.get_y() + 0.5
    for k, f in enumerate(x.figures):
        bx = pdf.l_margin + k * (bw + gap)
        pdf.set_draw_color(*EXPECTED_RGB)
        pdf.set_line_width(0.3)
        pdf.rect(bx, top, bw, bh)
        pdf.set_xy(bx + 2, top + 1)
        font(8.5, True)  # a long name takes two lines of the box
        pdf.multi_cell(bw - 4, 3.8, _printable(f.label, True), align="L")
        pdf.set_xy(bx + 2, top + 8.8)
        font(14, True, EXPECTED_RGB)
        pdf.cell(bw - 4, 7, _printable(f.value, True))
    pdf.set_y(top + bh + 3)


# -- PNG -------------------------------------------------------------------------------------
def render_png(doc: ReviewDoc, width: int = 1920) -> bytes:
    """One tall image, 1920 px wide: the page as a projector shows it, for the minutes."""
    from PIL import Image, ImageDraw, ImageFont  # optional heavy library, loaded here only

    def ttf(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        path = _font_file(bold)
        return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)

    pad, canvas = 48, Image.new("RGB", (width, 12000), "white")
    draw = ImageDraw.Draw(canvas)
    y = pad

    def text(s: str, size: int, bold: bool = False, fill: str = "#111111", wrap: int = 0,
             x: int = pad) -> None:
        nonlocal y
        s = _printable(s, bold)
        lines = textwrap.wrap(s, wrap) if wrap else [s]
        for ln in lines or [""]:
            draw.text((x, y), ln, font=ttf(size, bold), fill=fill)
            y += int(size * 1.3)

    text(doc.title, 56, True)
    text(doc.subtitle, 34)
    text(doc.asof_line, 24, fill="#505050")
    if doc.privacy_line:
        text(doc.privacy_line, 22, fill="#505050", wrap=140)
    y += 16
    cw, ch, gap = (width - 2 * pad - 2 * 24) // 3, 230, 24
    tones = {k: "#{:02x}{:02x}{:02x}".format(*v) for k, v in TONE_RGB.items()}
    for n, card in enumerate(doc.cards):
        x0, y0 = pad + (n % 3) * (cw + gap), y + (n // 3) * (ch + gap)
        draw.rectangle((x0, y0, x0 + cw, y0 + ch), outline="#111111", width=3)
        draw.text((x0 + 20, y0 + 16), _printable(card.label, True), font=ttf(26, True),
                  fill="#111111")
        draw.text((x0 + 20, y0 + 56), _printable(card.value, True), font=ttf(72, True),
                  fill="#000091")
        draw.text((x0 + 20, y0 + 150), _printable(card.vs_prev), font=ttf(24),
                  fill=tones[card.tone_prev])
        draw.text((x0 + 20, y0 + 186), _printable(card.vs_avg), font=ttf(24),
                  fill=tones[card.tone_avg])
    y += 2 * ch + gap + 32
    if doc.expected is not None:  # the expected-answer family, beside the public cards
        x = doc.expected
        green = "#{:02x}{:02x}{:02x}".format(*EXPECTED_RGB)
        text(x.title, 30, True, fill=green)
        text(x.caption, 24, fill="#505050", wrap=140)
        n, bgap = len(x.figures), 18
        bw, bh, label_font = (width - 2 * pad - (n - 1) * bgap) // n, 150, ttf(22, True)
        for k, f in enumerate(x.figures):
            x0 = pad + k * (bw + bgap)
            draw.rectangle((x0, y, x0 + bw, y + bh), outline=green, width=3)
            lines = _wrap_px(_printable(f.label, True),
                             lambda s: draw.textlength(s, font=label_font) <= bw - 28)
            for j, ln in enumerate(lines[:2]):  # a long name takes two lines of the box
                draw.text((x0 + 14, y + 10 + 28 * j), ln, font=label_font, fill="#111111")
            draw.text((x0 + 14, y + 72), _printable(f.value, True), font=ttf(52, True),
                      fill=green)
        y += bh + 32
    for title, fig in doc.figures:
        text(title, 34, True)
        img = Image.open(io.BytesIO(chart_png(fig, width - 2 * pad, 480)))
        canvas.paste(img, (pad, y))
        y += img.height + 24
    for sec in doc.sections:
        y += 12
        text(sec.title, 38, True, fill="#000091")
        if not sec.items:
            text(sec.empty, 24)
        for it in sec.items:
            text(it.head, 26, True)
            text(it.meta, 22, fill="#505050", wrap=130)
            if it.text:
                text(it.text, 24, wrap=120)
            y += 10
    out = io.BytesIO()
    canvas.crop((0, 0, width, min(y + pad, canvas.height))).save(out, format="PNG",
                                                                 optimize=True)
    return out.getvalue()


def render(doc: ReviewDoc, fmt: str) -> bytes:
    if fmt == "pdf":
        return render_pdf(doc)
    if fmt == "png":
        return render_png(doc)
    raise ValueError(f"unknown format {fmt!r} (pdf or png)")
