"""The demo account's broadcasts and workflows.

The broadcasts of its history (:mod:`esputnik_mcp.sandbox.demo.history`: the newsletters and the SMS
flash sale, finished, their messages already sent), and one broadcast scheduled for later, which
runs when the sandbox clock reaches its start. The history sends each past broadcast to a sample of
people rather than to every member of its segment: the broadcasts below name the segment it was
meant for. The workflows are those whose trigger messages the history has (welcome letters,
abandoned carts, order confirmations and delivery notices) and two that are switched off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from esputnik_mcp.sandbox.demo.content import CAMPAIGNS
from esputnik_mcp.sandbox.domain import account, broadcasts, messaging, workflows

if TYPE_CHECKING:
    from esputnik_mcp.sandbox.state import State

DAY = 86_400.0
NEWSLETTER, VIP, INTERNAL_TEST = 2001, 2002, 2005
# Titles and segments of the history's broadcasts, by id.
PAST: dict[int, tuple[str, tuple[int, ...]]] = {
    8101: ("June garden picks", (NEWSLETTER,)),
    8102: ("June garden picks: second wave", (NEWSLETTER,)),
    8103: ("Flash sale SMS", (VIP,)),
    8104: ("June garden picks: last call", (NEWSLETTER,)),
}
# A Viber sale to the VIP customers (less the internal test recipients), 100 messages an hour.
SCHEDULED_ID, SCHEDULED_TEMPLATE, SCHEDULED_IN_DAYS = 8105, 5002, 40.0
# id, name, status, tags
WORKFLOWS: tuple[tuple[int, str, str, tuple[str, ...]], ...] = (
    (6001, "Welcome series", workflows.ACTIVE, ("welcome", "onboarding")),
    (6002, "Abandoned cart", workflows.ACTIVE, ("cart", "trigger")),
    (6003, "Order follow-up", workflows.ACTIVE, ("orders",)),
    (6004, "Delivery notice", workflows.ACTIVE, ("orders", "sms")),
    (6005, "Birthday discount", workflows.INACTIVE, ("loyalty",)),
    (6006, "Win-back 2024", workflows.INACTIVE, ()),
)


def _channel(state: State, template_id: int) -> account.Channel:
    found = messaging.find_template(state, template_id, account.CHANNELS)
    if found is None:
        raise LookupError(f"the demo broadcasts send stored message {template_id}, which the demo lacks")
    return found[0]


def load(state: State, now: float) -> None:
    """Add the demo broadcasts and workflows, dated relative to ``now``, once the stored messages are
    in (inside the demo's load)."""
    for broadcast_id, template_id, days_ago, _ in CAMPAIGNS:
        title, groups = PAST[broadcast_id]
        broadcasts.add(
            state,
            broadcasts.Plan(
                template_id=template_id,
                channel=_channel(state, template_id),
                title=title,
                groups=groups,
                start_at=now - days_ago * DAY,
            ),
            broadcast_id=broadcast_id,
            finished=True,
        )
    broadcasts.add(
        state,
        broadcasts.Plan(
            template_id=SCHEDULED_TEMPLATE,
            channel=_channel(state, SCHEDULED_TEMPLATE),
            title="Weekend garden sale",
            groups=(VIP,),
            excluded=(INTERNAL_TEST,),
            start_at=now + SCHEDULED_IN_DAYS * DAY,
            batch_size=100,
            batch_unit="HOUR",
        ),
        broadcast_id=SCHEDULED_ID,
    )
    for workflow_id, name, status, tags in WORKFLOWS:
        workflows.add(state, workflow_id, name, status, tags)
