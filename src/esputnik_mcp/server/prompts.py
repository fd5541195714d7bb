"""Prompts: the jobs marketers most often ask an agent to do, each as a plan that names the tools it
uses, in order, with the checks a careful person would make before anything reaches a customer.

A prompt is offered only when every tool it names is offered too (a read-only server, or one limited
to some toolsets, lists only the prompts it can carry out).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

from mcp.server.mcpserver.prompts import Prompt
from pydantic import Field


@dataclass(frozen=True)
class Job:
    function: Callable[..., str]
    title: str
    description: str
    tools: tuple[str, ...]

    def prompt(self) -> Prompt:
        return Prompt.from_function(
            self.function, name=self.function.__name__, title=self.title, description=self.description
        )


def abandoned_cart_reminder(
    contact: Annotated[str, Field(description="The customer: email, phone, contact id or external customer id.")],
    cart: Annotated[str, Field(description="What is in the cart, e.g. product ids or names.")] = "",
) -> str:
    items = f" The cart holds: {cart}." if cart else ""
    return f"""Remind one customer of the cart they left, once, on the channel they read.{items}

1. Find the customer ({contact}) with search_contacts or get_contact. Stop if there is no such
   contact, or if they have no email or phone.
2. get_message_activity for the contact (and get_contact_message_history if the inbox is empty):
   if they were sent a reminder in the last 24 h, or they unsubscribed, bounced or marked spam,
   stop and say so.
3. list_workflows: if a workflow starts on an abandoned-cart event (e.g. cartAbandoned), prefer
   generate_event with that event key and the cart's items as params; the workflow then sends.
   Otherwise pick a reminder template with list_message_templates and read it with
   get_message_template to see which variables it needs.
4. get_recommendations for the contact, to add one or two products they are likely to want.
5. Send with generate_event or send_prepared_message (params: the cart's items). The person
   approving sees the message rendered for this customer; do not retry a send whose outcome is
   unknown.
6. Report what was sent, its request id, and check get_message_status later."""


def reengagement_broadcast(
    segment: Annotated[str, Field(description="The segment to win back: its name or id.")],
    inactive_days: Annotated[int, Field(ge=7, le=365, description="Days without opening a message.")] = 90,
) -> str:
    return f"""Plan a re-engagement broadcast to the segment "{segment}": people who have not opened
a message for {inactive_days} days.

1. list_segments to find the segment and its id; get_segment_contacts for its size. Say how many
   people it reaches; a broadcast over ESPUTNIK_MAX_BROADCAST_AUDIENCE is refused.
2. get_message_activity (or get_contact_activity) over the last {inactive_days} days: how many of the
   segment read or clicked anything. If most are active, say the segment is the wrong audience.
3. list_message_templates and get_message_template: choose a win-back message; check its subject,
   sender and the variables it needs. If none fits, draft one with create_message_template and
   show it before going on.
4. list_broadcasts: make sure no broadcast to this segment is already scheduled.
5. create_broadcast with the message, the segment, a start time in the audience's daytime and a
   moderate speed (batch_size and batch_interval) so that complaints can be noticed early. Only a
   person can approve it, on the approval page: give them the numbers from steps 1–2.
6. After it starts, get_broadcast for its delivery counts; cancel_broadcast works only before it
   starts."""


def weekly_delivery_report(
    days: Annotated[int, Field(ge=1, le=90, description="How many days back to report on.")] = 7,
) -> str:
    return f"""Write a delivery report for the last {days} days.

1. get_message_activity with since = {days} days ago: the counts per status (delivered,
   undelivered, read, clicked, unsubscribed, spam). If the inbox has never received an event, use
   get_contact_activity for the same window instead and say the report comes from eSputnik's API.
2. list_broadcasts, and get_broadcast for each one in the window: delivery counts per broadcast.
3. get_message_activity with statuses UNDELIVERED, UNSUBSCRIBED and SPAM: the addresses that now
   are left out of sends, and the campaigns they came from.
4. get_billing_history for the window and get_account_info: what was spent and what is left.
5. Report in a short table: sent, delivered %, read %, clicked %, hard bounces, unsubscribes,
   spam complaints, spend; then three observations and one suggestion. Quote no customer data
   beyond counts."""


JOBS = (
    Job(
        abandoned_cart_reminder,
        "Abandoned-cart reminder",
        "Remind one customer of their cart, once, after checking they can and want to hear from you.",
        (
            "search_contacts",
            "get_contact",
            "get_message_activity",
            "list_workflows",
            "get_recommendations",
            "generate_event",
            "send_prepared_message",
            "get_message_status",
        ),
    ),
    Job(
        reengagement_broadcast,
        "Re-engagement broadcast",
        "Plan and create a win-back broadcast to a segment, sized and checked before a person approves it.",
        (
            "list_segments",
            "get_segment_contacts",
            "get_message_activity",
            "list_message_templates",
            "get_message_template",
            "list_broadcasts",
            "create_broadcast",
            "get_broadcast",
        ),
    ),
    Job(
        weekly_delivery_report,
        "Weekly delivery report",
        "Delivery, engagement, bounces, unsubscribes and spend over the last days, as a short report.",
        (
            "get_message_activity",
            "get_contact_activity",
            "list_broadcasts",
            "get_broadcast",
            "get_billing_history",
            "get_account_info",
        ),
    ),
)


def prompts_for(tools: Iterable[str]) -> list[Prompt]:
    """The prompts whose every tool is among ``tools`` (names)."""
    offered = set(tools)
    return [job.prompt() for job in JOBS if set(job.tools) <= offered]
