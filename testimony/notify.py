"""Every message testimony sends to a witness goes through `notify`, on top of the messaging app
(`messaging.services.send_once`: consent-aware, one row per unique dedupe key, never sent twice).

Messages go out in the recruiting organization's name, so that organization's consent applies. Inside a
transaction (a request) the send is queued as a `messaging.send` job that runs after commit; outside one (an rq
job) it is sent at once. Email carries every notice; queue updates ("about N speakers before you") also go by
SMS, which messaging sends only with an SMS opt-in.
"""
from django.db import transaction

from .models import Testimony


def notify(*, testimony: Testimony, kind: str, key: str, subject: str, body: str,
           channels: tuple[str, ...] = ("email",), actor=None) -> None:
    from messaging.services import send_enqueue, send_once

    for channel in channels:
        params = dict(organization=testimony.organization, contact=testimony.contact, channel=channel,
                      kind=f"testimony.{kind}", dedupe_key=f"testimony:{testimony.pk}:{key}:{channel}",
                      subject=subject, body=body)
        if transaction.get_connection().in_atomic_block:
            send_enqueue(**params, actor=actor)
        else:
            send_once(**params)
