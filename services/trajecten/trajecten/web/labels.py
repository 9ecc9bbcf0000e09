"""Dutch words for what the pages show (identifiers stay English)."""

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
}
AGENCY = {"agii": "AgII", "atlas": "Atlas", "in-gent": "IN-Gent"}
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
