"""Dutch words for what the pages show (identifiers stay English)."""

from civic_common.agencies import AGENCIES

STATUS = {
    "open": "lopend",
    "suspended": "geschorst",
    "completed": "afgerond",
    "stopped": "stopgezet",
    "planned": "gepland",
    "started": "gestart",
    "failed": "niet geslaagd",
    "exempted": "vrijgesteld",
    "": "",
}
ACTION = {
    "open": "Traject geopend",
    "start": "Gestart",
    "complete": "Afgerond",
    "fail": "Niet geslaagd",
    "exempt": "Vrijgesteld",
    "hours": "Uren geregistreerd",
    "outcome": "Uitkomst geregistreerd",
    "suspend": "Geschorst",
    "resume": "Hervat",
    "stop": "Stopgezet",
    "job_seeker": "Ingeschreven als werkzoekende",
    "deadline_missed": "Termijn overschreden (doorverwezen)",
    "transfer": "Overgedragen aan een ander agentschap",
    "take_up": "Overdracht overgenomen",
    "correct": "Gegevens gecorrigeerd aan het onthaal",
    "correct_reason": "Reden gecorrigeerd",
    "merge_person": "Dossiers samengevoegd aan het onthaal: traject verhuisd naar het "
    "overblijvende dossier",
    "duplicate_open": "Let op: na samenvoegen nog een lopend traject van dezelfde soort; "
    "stop er één",
}
AGENCY = AGENCIES
BUTTON = {
    "start": "Starten",
    "complete": "Afronden",
    "fail": "Niet geslaagd",
    "exempt": "Vrijstellen",
    "suspend": "Schorsen",
    "resume": "Hervatten",
    "stop": "Stopzetten",
}
PARTNER_UPDATE = {
    "nt2.enrolment": "Inschrijving NT2",
    "nt2.attendance": "Aanwezigheden NT2",
    "nt2.test-result": "Testresultaat NT2",
    "vdab.job-seeker": "Inschrijving werkzoekende (VDAB)",
    "vdab.outcome": "Uitkomst werktraject (VDAB)",
}
TARGET_GROUP = {"obligated": "verplicht", "entitled": "rechthebbend", None: "onbekend"}

REASON = {
    "illness": "ziekte",
    "pregnancy": "zwangerschap of bevalling",
    "work": "werk",
    "education": "opleiding",
    "stay_abroad": "verblijf in het buitenland",
    "family": "familiale omstandigheden",
    "suspension_ended": "reden van schorsing voorbij",
    "moved": "verhuisd",
    "left_belgium": "België verlaten",
    "deceased": "overleden",
    "no_longer_obliged": "niet langer verplicht",
    "non_cooperation": "geen medewerking",
    "prior_qualification": "eerder behaald diploma of attest",
    "medical": "medische reden",
    "other": "andere",
}

# The confirmation page of a step that cannot be taken back (domain FINAL_ACTIONS): its
# question ({title}: the component's), why it is final, and the confirming button.
CONFIRM = {
    "stop": (
        "Traject stopzetten?",
        "Een stopgezet traject kan niet meer hervat worden. De stopzetting gaat met de soort "
        "reden naar de partners en telt mee in de rapportage.",
        "Ja, traject stopzetten",
    ),
    "fail": (
        "{title} als niet geslaagd registreren?",
        "Het resultaat gaat naar de partners en telt mee in de rapportage. Een herkansing is "
        "een nieuwe poging; dit resultaat blijft in het dossier.",
        "Ja, niet geslaagd registreren",
    ),
    "exempt": (
        "Vrijstellen van {title}?",
        "Een vrijstelling is definitief: het onderdeel kan daarna niet meer gestart worden.",
        "Ja, vrijstellen",
    ),
    "complete": (
        "{title} afronden?",
        "Een afgerond onderdeel kan niet heropend worden.",
        "Ja, afronden",
    ),
}

# A component's result: what completed it, or the partner's outcome.
RESULT = {
    "hours_reached": "uren behaald",
    "passed": "geslaagd",
    "failed": "niet geslaagd",
    "employed": "aan het werk",
    "in_training": "in opleiding",
    "work_trajectory_completed": "werktraject afgerond",
    "not_available": "niet beschikbaar",
    "dropped_out": "afgehaakt",
}
