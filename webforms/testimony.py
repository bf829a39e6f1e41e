"""Testimony sign-up forms: the questions a hearing adds (how the person will testify, and a position on each
bill on the agenda), rendered and validated like any custom question."""
from django.utils.translation import gettext_lazy as _

MODES = [("in_person", _("In person at the Capitol")), ("zoom", _("On Zoom")), ("phone", _("By phone")),
         ("written_only", _("Written testimony only"))]
POSITIONS = [("support", _("Support")), ("oppose", _("Oppose")), ("neutral", _("Neutral"))]


def hearing_questions(form) -> list[dict]:
    """The built-in questions of a testimony form (labels are translated when rendered)."""
    if form.hearing_id is None:
        return []
    questions = [{"key": "mode", "type": "choice", "label": _("How will you testify?"), "required": True,
                  "choices": [{"value": v, "label": label} for v, label in MODES]}]
    for index, bill in enumerate(form.hearing.bills.all()):
        questions.append({"key": f"bill_{index}", "type": "choice", "bill": bill.number, "required": False,
                          "label": _("Your position on %(bill)s") % {"bill": f"{bill.number} {bill.title}".strip()},
                          "choices": [{"value": v, "label": label} for v, label in POSITIONS]})
    return questions


def position_answers(form, answers: dict) -> list[dict]:
    return [{"bill": q["bill"], "position": answers[q["key"]]} for q in hearing_questions(form)
            if q.get("bill") and answers.get(q["key"])]
