"""``territoires report``: the weekly review drawn to PDF and PNG through kaleido and
Debian's Chromium; the PDF's text (read back with ``pdftotext``) carries the headline
numbers the metric functions give, and its pages are counted (``pdfinfo``)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from territoires import report, report_render
from territoires.cli import main
from territoires.privacy import Pseudonymizer, profiles_from_frame
from territoires.text import i18n
from tests.conftest import EXAMPLE_CONFIG
from tests.review_data import AS_OF, MONDAY, PRIVATE, SECRET, build
from warehouse import metrics
from warehouse.read import reader_cursor
from warehouse.territory import load_territories

pytestmark = [
    pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed"),
    pytest.mark.skipif(not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()),
                       reason="Debian's chromium not installed (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def rp_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report") / "report.duckdb"
    build(db)
    return db


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])  # type: ignore[index]


def test_report_command_writes_the_weekly_review_pdf(rp_db: Path, tmp_path: Path,
                                                     capsys) -> None:
    out = tmp_path / "revue.pdf"
    rc = main(["report", "--config", str(EXAMPLE_CONFIG), "--db", str(rp_db),
               "--week", "2026-W47", "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    assert out.read_bytes()[:5] == b"%PDF-"
    # page 1: headline + first chart; page 2: the other two charts; page 3: notable posts
    assert pdf_pages(out) == 3
    text = pdf_text(out)
    cur = reader_cursor(rp_db)
    try:
        terr = load_territories(cur)[0]
        h = metrics.headline(cur, terr, MONDAY, MONDAY + timedelta(days=7), AS_OF)
    finally:
        cur.close()
    i18n.set_lang("fr")
    assert "Revue de la semaine — Villeneuve-sur-Loire" in text
    assert "Semaine 47 · du lundi 16 novembre 2026 au dimanche 22 novembre 2026" in text
    flat = re.sub(r"\s+", " ", text)
    for label, value in (("Interpellations", i18n.fmt_int(h["interpellations"])),
                         ("Taux de réponse", i18n.fmt_pct(h["response_rate"])),
                         ("Relayeurs locaux", i18n.fmt_int(h["local_tweetos"]))):
        assert label in flat and value.replace("\u202f", " ") in flat.replace("\u202f", " ")
    assert "Messages de la ville les plus relayés" in text and "La réponse la plus lente" in text
    assert "Trou énorme rue Haute" in text and "@carole_priv" in text  # the CM's minutes


def test_bad_week_or_format_is_one_line(rp_db: Path, tmp_path: Path, capsys) -> None:
    for args in (["--week", "2026-W54", "--out", str(tmp_path / "x.pdf")],
                 ["--week", "2026-W47", "--out", str(tmp_path / "x.docx")]):
        rc = main(["report", "--config", str(EXAMPLE_CONFIG), "--db", str(rp_db), *args])
        err = capsys.readouterr().err
        assert rc == 2 and len(err.strip().splitlines()) == 1, err
    assert not list(tmp_path.iterdir())


def test_png_and_pseudonymised_pdf_from_the_same_content(rp_db: Path, tmp_path: Path) -> None:
    from PIL import Image

    i18n.set_lang("fr")
    cur = reader_cursor(rp_db)
    try:
        terr = load_territories(cur)[0]
        review = report.build_review(cur, terr, MONDAY, MONDAY + timedelta(days=7), AS_OF)
    finally:
        cur.close()
    pseudo = Pseudonymizer(terr, profiles_from_frame(review.profiles), SECRET.encode())
    doc = report.review_doc(review, pseudo)
    try:
        png = report_render.render(doc, "png")
        pdf = report_render.render(doc, "pdf")
    finally:
        report_render.stop_charts()
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.width == 1920 and 2500 < img.height < 6000
    # the chart area is drawn (many distinct colours), not left blank
    assert len(img.convert("RGB").crop((0, 700, 1920, 1400)).getcolors(1 << 20) or []) > 20
    path = tmp_path / "shared.pdf"
    path.write_bytes(pdf)
    text = pdf_text(path)
    for handle in PRIVATE:
        assert handle not in text
    assert re.search(r"Habitant·e \d+", text) and "@mairie_verifiee" in text
    assert "Vie privée" in text
