"""The data-subject access report as a PDF, in Dutch: exactly what its JSON form holds, per
service what it keeps, who read or changed it and which partners received it. A4, DejaVu Sans
(names beyond Latin-1), a footer with the generation time and the page numbers. Pure: the
report's JSON in, bytes out."""

from datetime import datetime
from typing import Any

from fpdf import FPDF

from civic_common.api.exports import writable
from civic_common.pdf import BOLD, FONT, REGULAR

TITLE = "Inzageverzoek (AVG art. 15)"
SERVICES = {
    "intake": "Intake (onthaal en inschrijving)",
    "trajecten": "Trajecten (inburgeringstrajecten)",
    "tolken": "Tolken (sociaal tolken)",
    "rapportage": "Rapportage (statistiek)",
}
HELD = "Gegevens die we bewaren"
ACCESSES = "Inzage en wijzigingen (auditlog)"
RECIPIENTS = "Ontvangers van de gegevens"
CHANNELS = {
    "webhook": "webhook (melding)",
    "feed": "feed (opgehaald)",
    "person-resource": "persoonsgegevens opgevraagd",
    "interpreter-request": "tolkaanvraag",
    "interpreter-assignment": "toewijzing aan een tolk",
}
ACTIONS = {"read": "gelezen", "create": "aangemaakt", "update": "gewijzigd", "erase": "gewist"}
INCOMPLETE = (
    "Dit rapport is onvolledig: niet elke dienst gaf zijn gegevens. Zie de vermelding bij de "
    "dienst."
)
NOTHING = "Geen."


def moment(value: str | None) -> str:
    if not value:
        return "-"
    return datetime.fromisoformat(value).strftime("%d-%m-%Y %H:%M:%S %Z").strip()


class _Pdf(FPDF):
    def __init__(self, generated_at: datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.generated_at = generated_at

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(90)
        self.cell(0, 5, f"Gegenereerd op {self.generated_at:%d-%m-%Y %H:%M} UTC", align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Pagina {self.page_no()} van {{nb}}", align="R")

    def line_of(self, text: str, size: float = 9, style: str = "", height: float = 4.6) -> None:
        self.set_font(FONT, style, size)
        self.multi_cell(0, height, writable(text), new_x="LMARGIN", new_y="NEXT")


def _value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, list | dict):
        return ", ".join(_value(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def person_name(report: dict[str, Any]) -> str:
    for answer in report["sections"]:
        section = answer.get("section") or {}
        for held in section.get("held", []):
            if held["kind"] == "persons" and held["records"]:
                row = held["records"][0]
                name = " ".join(p for p in (row.get("given_name"), row.get("family_name")) if p)
                return name or "(gewist)"
    return "-"


def _section(pdf: _Pdf, answer: dict[str, Any]) -> None:
    pdf.line_of(SERVICES.get(answer["service"], answer["service"]), 13, "B", 7)
    section = answer.get("section")
    if section is None:
        pdf.set_text_color(170, 0, 0)
        pdf.line_of(f"Geen gegevens ontvangen van deze dienst: {answer['missing']}.", 10, "B")
        pdf.set_text_color(0)
        pdf.ln(4)
        return
    pdf.line_of(HELD, 11, "B", 6)
    if not section["known"]:
        pdf.line_of("Deze dienst bewaart niets over deze persoon.")
    for held in section["held"]:
        pdf.line_of(f"{held['title']} ({len(held['records'])})", 10, "B", 5.5)
        for number, row in enumerate(held["records"], start=1):
            pdf.line_of(f"{number}.", 9, "B")
            for name, value in row.items():
                pdf.line_of(f"    {name}: {_value(value)}", 8, height=4)
        pdf.ln(1)
    pdf.line_of(ACCESSES, 11, "B", 6)
    if not section["accesses"]:
        pdf.line_of(NOTHING)
    for a in section["accesses"]:
        who = f"{a['actor']} ({a['role']}{', ' + a['organisation'] if a['organisation'] else ''})"
        action = ACTIONS.get(a["action"], a["action"])
        why = f", doel: {a['purpose']}" if a["purpose"] else ""
        pdf.line_of(
            f"{moment(a['at'])}  {who}: {action} {a['subject_type']} {a['subject_id']}{why}", 8
        )
    pdf.ln(1)
    pdf.line_of(RECIPIENTS, 11, "B", 6)
    if not section["recipients"]:
        pdf.line_of(NOTHING)
    for r in section["recipients"]:
        basis = r["legal_basis"] or "geen rechtsgrond vermeld"
        channel = CHANNELS.get(r["channel"], r["channel"])
        pdf.line_of(
            f"{moment(r['at'])}  {r['organisation']} via {channel}: {r['what']} "
            f"(rechtsgrond: {basis})",
            8,
        )
    pdf.ln(5)


def to_pdf(report: dict[str, Any]) -> bytes:
    generated_at = datetime.fromisoformat(report["generated_at"])
    pdf = _Pdf(generated_at)
    pdf.add_font(FONT, "", REGULAR)
    pdf.add_font(FONT, "B", BOLD)
    pdf.set_title(TITLE)
    pdf.set_lang("nl-BE")
    pdf.set_creator("Intake")
    pdf.set_creation_date(generated_at)
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    pdf.line_of(TITLE, 15, "B", 8)
    pdf.ln(1)
    pdf.line_of(f"Persoon: {person_name(report)}")
    pdf.line_of(f"Persoonsnummer: {report['person_id']}")
    pdf.line_of(f"Opgemaakt op: {moment(report['generated_at'])}, door {report['generated_by']}")
    pdf.line_of(
        "Dit overzicht bevat alle gegevens die het platform over deze persoon bewaart, wie ze "
        "las of wijzigde en welke partners ze ontvingen, met wanneer en op welke rechtsgrond.",
    )
    if not report["complete"]:
        pdf.set_text_color(170, 0, 0)
        pdf.line_of(INCOMPLETE, 10, "B")
        pdf.set_text_color(0)
    pdf.ln(4)
    for answer in report["sections"]:
        _section(pdf, answer)
    return bytes(pdf.output())
