"""Form content for display: Markdown introductions rendered to sanitised HTML, texts per language, and the
data-sharing statement generated from the owner and co-sponsors."""
from functools import lru_cache

import nh3
from django.utils.html import escape
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from .models import Sharing

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "h2", "h3", "h4", "code", "pre",
                "hr", "table", "thead", "tbody", "tr", "th", "td"}


@lru_cache(maxsize=512)
def markdown_html(text: str) -> str:
    """CommonMark with raw HTML disabled, then cleaned by nh3 (an allow-list of tags; http(s)/mailto links only,
    opened outside the iframe)."""
    html = _markdown.render(text or "")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow",
                     set_tag_attribute_values={"a": {"target": "_blank"}})


TRANSLATABLE = ("title", "introduction", "thank_you_text", "email_consent_text", "sms_consent_text",
                "coalition_consent_text")


def text_for(form, name: str, language: str) -> str:
    """The form's own text in `language` when it has a translation, else the default (English) text."""
    translated = (form.translations or {}).get(language, {}).get(name)
    return translated if translated else getattr(form, name)


def question_label(question: dict, language: str, key: str = "label") -> str:
    return question.get(f"{key}_{language}") or question.get(key, "")


def receiving_organizations(form, recruiter=None) -> list:
    """Who gets this person's details: the owner, every co-sponsor sharing "all", and the co-sponsor whose
    referral code brought the person when it shares "recruited"."""
    organizations = [form.organization]
    for cosponsor in form.cosponsors.all():
        if cosponsor.sharing == Sharing.ALL or (cosponsor.sharing == Sharing.RECRUITED and recruiter is not None
                                                and cosponsor.organization_id == recruiter.pk):
            organizations.append(cosponsor.organization)
    return organizations


def sharing_statement(form, recruiter=None) -> str:
    names = [o.name for o in receiving_organizations(form, recruiter)]
    if len(names) == 1:
        listed = names[0]
    else:
        listed = _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}
    return _("Your details go to %(organizations)s, and to no one else unless you agree to share them with the "
             "coalition below.") % {"organizations": listed} if form.coalition_consent != "hidden" else _(
        "Your details go to %(organizations)s.") % {"organizations": listed}


def sharing_statement_html(form, recruiter=None) -> str:
    return escape(sharing_statement(form, recruiter))
