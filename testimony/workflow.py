"""The witness's path as a table of allowed transitions (pure). services.testimony_transition enforces it.

recruited -> drafting -> draft_received -> reviewed -> registered -> in_speaker_order -> testified | no_show
Decisions where the issue is silent:
- withdrawn may be reached from every status that is not final (a witness may drop out at any point);
- written_submitted may be reached from reviewed (a written-only witness never registers to speak), registered
  and in_speaker_order (a speaker who could not stay submits in writing instead);
- a reviewer may send a draft back: draft_received -> drafting and reviewed -> drafting;
- registered -> reviewed undoes a mistaken self-report; in_speaker_order -> registered happens when a corrected
  speaker order no longer lists the witness;
- testified, no_show, written_submitted and withdrawn are final.
"""
STATUSES = ["recruited", "drafting", "draft_received", "reviewed", "registered", "in_speaker_order",
            "testified", "no_show", "written_submitted", "withdrawn"]
FINAL = {"testified", "no_show", "written_submitted", "withdrawn"}

TRANSITIONS: dict[str, list[str]] = {
    "recruited": ["drafting", "draft_received", "withdrawn"],
    "drafting": ["draft_received", "withdrawn"],
    "draft_received": ["reviewed", "drafting", "withdrawn"],
    "reviewed": ["registered", "drafting", "written_submitted", "withdrawn"],
    "registered": ["in_speaker_order", "reviewed", "written_submitted", "withdrawn"],
    "in_speaker_order": ["testified", "no_show", "written_submitted", "registered", "withdrawn"],
    "testified": [], "no_show": [], "written_submitted": [], "withdrawn": [],
}
#: statuses in which a witness has not yet registered with the legislature (registration reminders go to them)
BEFORE_REGISTRATION = {"recruited", "drafting", "draft_received", "reviewed"}
#: statuses in which written testimony is still to be sent (written-deadline reminders go to them)
BEFORE_WRITTEN = BEFORE_REGISTRATION | {"registered", "in_speaker_order"}


def allowed(status: str) -> list[str]:
    return list(TRANSITIONS.get(status, []))


def can_move(status: str, to: str) -> bool:
    return to in TRANSITIONS.get(status, [])
