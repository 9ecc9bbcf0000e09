"""Who may do what in intake: one list per action, used by the API and the pages alike."""

REGISTER_PERSONS = ("counter",)
# Admins are platform operators: they read persons of every agency (audited like anyone).
READ_PERSONS = ("counter", "counsellor", "admin")
CORRECT_PERSONS = ("counter",)
ERASE_PERSONS = ("counter", "admin")
# Merging two records of one person is the counter's (who registered them).
MERGE_PERSONS = ("counter",)
# Whoever may see a person may hand the case over (domain/agency.py decides whom they see).
TRANSFER_PERSONS = READ_PERSONS
REGISTER_ORGANISATIONS = ("counter",)
READ_ORGANISATIONS = ("counter", "counsellor")
SUBMIT_CANDIDACIES = ("counter",)
# The data-subject access report (GDPR art. 15) spans every agency and every service.
DATA_SUBJECT_REPORTS = ("admin",)
