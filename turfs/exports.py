"""CSV walk lists and call lists, and the printable PDF walk sheet of a turf (reportlab)."""
import csv
import io

from .geo import Projection
from .selectors import stop_people

WALK_COLUMNS = ["turf", "stop", "address", "unit", "postal_code", "latitude", "longitude", "approximate",
                "contact", "name", "result", "support", "notes"]
CALL_COLUMNS = ["list", "position", "contact", "name", "phone", "postal_code", "result", "notes"]


def walk_list_csv(turfs_with_stops) -> str:
    """One row per person at each door, in walk order, turf after turf; result columns left blank."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(WALK_COLUMNS)
    turfs_with_stops = list(turfs_with_stops)
    names = stop_people([stop for _turf, stops in turfs_with_stops for stop in stops])  # one query
    for turf, stops in turfs_with_stops:
        for stop in stops:
            for contact in stop.contacts:
                writer.writerow([turf.number, stop.position, stop.label, stop.unit, stop.postal_code,
                                 f"{stop.latitude:.6f}", f"{stop.longitude:.6f}", "yes" if stop.approximate else "",
                                 contact, names.get(contact, ""), "", "", ""])
    return out.getvalue()


def call_list_csv(call_lists) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CALL_COLUMNS)
    for call_list in call_lists:
        for position, entry in enumerate(call_list.entries, start=1):
            writer.writerow([call_list.number, position, entry["contact"], entry["name"], entry["phone"],
                             entry["postal_code"], "", ""])
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ PDF

INCH = 72.0  # PDF points
PAGE_W, PAGE_H = 8.5 * INCH, 11 * INCH  # US letter
MARGIN = 0.5 * INCH


def walk_sheet_pdf(*, turf, stops, organization_name: str, volunteer: str = "") -> bytes:
    """A printable walk sheet: header, a sketch map of the stops in walk order, the doors with the people at
    each and boxes for result codes and support, then the survey questions."""
    from reportlab.pdfgen import canvas  # imported on use: keeps the API's start-up light

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    pdf.setTitle(f"Walk sheet - turf {turf.number}")
    names = stop_people(stops)
    cut = turf.cut
    labels = BOX_LABELS + [f"Q{i}" for i in range(1, min(len(cut.survey), 5) + 1)]
    y = _header(pdf, turf, cut, organization_name, volunteer)
    y = _sketch_map(pdf, stops, y)
    y = _legend(pdf, y, labels)
    for stop in stops:
        people = [names.get(pk, "") for pk in stop.contacts] or [""]
        needed = 16 + 13 * len(people)
        if y - needed < MARGIN:
            _footer(pdf, turf)
            pdf.showPage()
            y = PAGE_H - MARGIN
            y = _legend(pdf, y, labels)
        pdf.setFont("Helvetica-Bold", 9)
        address = stop.label + ("  (approximate location)" if stop.approximate else "")
        pdf.drawString(MARGIN, y - 10, f"{stop.position}. {address}")
        for person in people:
            y -= 13
            pdf.setFont("Helvetica", 9)
            pdf.drawString(MARGIN + 14, y - 10, person[:48])
            _boxes(pdf, MARGIN + 3.3 * INCH, y - 11, len(labels))
        y -= 17
        pdf.setStrokeGray(0.8)
        pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
        pdf.setStrokeGray(0)
    _survey(pdf, turf, cut.survey, y)
    _footer(pdf, turf)
    pdf.save()
    return buffer.getvalue()


def _header(pdf, turf, cut, organization_name, volunteer) -> float:
    y = PAGE_H - MARGIN
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(MARGIN, y - 14, f"{organization_name} - walk sheet, turf {turf.number}")
    pdf.setFont("Helvetica", 9)
    lines = [f"Cut: {cut.name or cut.pk}   Doors: {turf.doors}   People: {turf.people}   "
             f"Walk: about {turf.distance_m / 1000:.1f} km",
             f"Canvasser: {volunteer or '____________________'}   Date: ____________   "
             f"Progress so far: {turf.doors_done}/{turf.doors} doors"]
    for i, line in enumerate(lines):
        pdf.drawString(MARGIN, y - 30 - 12 * i, line)
    return y - 30 - 12 * len(lines) - 4


def _sketch_map(pdf, stops, y) -> float:
    """The stops projected to the page, joined in walk order, numbered; north up; a 100 m scale bar."""
    height, width = 2.6 * INCH, PAGE_W - 2 * MARGIN
    top, left = y, MARGIN
    pdf.rect(left, top - height, width, height)
    if not stops:
        return top - height - 8
    projection = Projection.around((s.latitude, s.longitude) for s in stops)
    points = [projection.xy(s.latitude, s.longitude) for s in stops]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 50.0)
    scale = min((width - 30) / max(max(xs) - min(xs), 1.0), (height - 30) / max(max(ys) - min(ys), 1.0),
                (height - 30) / span * 2)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    page = [(left + width / 2 + (x - cx) * scale, top - height / 2 + (y_ - cy) * scale) for x, y_ in points]
    pdf.setStrokeGray(0.6)
    path = pdf.beginPath()
    path.moveTo(*page[0])
    for point in page[1:]:
        path.lineTo(*point)
    pdf.drawPath(path)
    pdf.setStrokeGray(0)
    pdf.setFont("Helvetica", 6)
    last = None
    for stop, (px, py) in zip(stops, page):
        pdf.circle(px, py, 1.6, fill=1)
        if last is None or abs(px - last[0]) + abs(py - last[1]) > 9:
            pdf.drawString(px + 2, py + 2, str(stop.position))
            last = (px, py)
    bar = 100 * scale
    if bar < width / 2:
        pdf.line(left + 8, top - height + 8, left + 8 + bar, top - height + 8)
        pdf.drawString(left + 8, top - height + 11, "100 m")
    pdf.drawString(left + width - 14, top - 10, "N ^")
    return top - height - 8


BOX_LABELS = ["NH", "RF", "TK", "MV", "WA", "1", "2", "3", "4", "5"]


def _legend(pdf, y, labels) -> float:
    """Column heads over the boxes: NH not home, RF refused, TK talked, MV moved, WA wrong address; support;
    one box per survey question (Q1..Q5) for a short answer."""
    pdf.setFont("Helvetica", 7)
    pdf.drawString(MARGIN, y - 8, "Door / people  (NH not home, RF refused, TK talked, MV moved, WA wrong address; "
                   "support 1 strong no - 5 strong yes; Q1.. survey answers)")
    y -= 10
    x = MARGIN + 3.3 * INCH
    for i, label in enumerate(labels):
        pdf.drawCentredString(x + 12 * i + 4.5, y - 8, label)
    return y - 10


def _boxes(pdf, x, y, count):
    for i in range(count):
        pdf.rect(x + 12 * i, y, 9, 9)


def _footer(pdf, turf):
    pdf.setFont("Helvetica", 7)
    pdf.drawRightString(PAGE_W - MARGIN, MARGIN / 2, f"turf {turf.number} - page {pdf.getPageNumber()}")


def _survey(pdf, turf, survey, y):
    if not survey:
        return
    if y - 30 - 14 * len(survey) < MARGIN:
        _footer(pdf, turf)
        pdf.showPage()
        y = PAGE_H - MARGIN
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(MARGIN, y - 16, "Survey questions")
    y -= 20
    pdf.setFont("Helvetica", 9)
    for number, question in enumerate(survey, start=1):
        choices = question.get("choices") or []
        text = f"Q{number}. {question['question']}" + (f"   [{' / '.join(choices)}]" if choices else "")
        if y - 14 < MARGIN:
            _footer(pdf, turf)
            pdf.showPage()
            y = PAGE_H - MARGIN
            pdf.setFont("Helvetica", 9)
        pdf.drawString(MARGIN, y - 12, text[:120])
        y -= 14
