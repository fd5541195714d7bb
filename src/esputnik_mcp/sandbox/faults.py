"""The fault plan: make the next calls of an operation fail in a chosen way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_ROUTE = re.compile(r"^(?P<method>[A-Z]+|\*) (?P<path>/\S*)$")


def path_pattern(template: str) -> re.Pattern[str]:
    """A regex for a path template: ``{name}`` matches one path segment."""
    if template.startswith("/api/"):
        template = template[len("/api") :]
    parts = re.split(r"(\{[^}/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") and p.endswith("}") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


@dataclass
class Fault:
    """What the next ``times`` calls of ``route`` get instead of (or on top of) a normal answer.

    ``route`` is ``"METHOD /path"`` with the path as the reference writes it (no ``/api``
    prefix); ``{name}`` matches any one segment, and ``*`` as the method matches any method.

    * ``status``: answer this status with ``body`` and ``headers``, without processing;
    * ``delay``: wait this many (real) seconds first, then go on;
    * ``garbage``: process the request, then answer 200 with a body that is not valid JSON;
    * ``drop``: process the request, then deliver no answer at all.

    ``times`` None means every call until the plan is cleared.

    In process (:meth:`Sandbox.transport`), a caller that gives up during a delay cancels the
    request. Served over HTTP, the request is still processed after the delay, as a slow server
    would, and a dropped answer holds the connection until the client hangs up.
    """

    route: str
    times: int | None = 1
    status: int | None = None
    body: str | bytes | None = None
    headers: Mapping[str, str] | None = None
    delay: float | None = None
    garbage: bool = False
    drop: bool = False
    _method: str = field(init=False, repr=False, compare=False)
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        match = _ROUTE.match(self.route.strip())
        if match is None:
            raise ValueError(f"route must look like 'POST /v1/message/email'; got {self.route!r}")
        self._method = match["method"]
        self._pattern = path_pattern(match["path"])
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None for every call)")
        if self.status is None and self.delay is None and not self.garbage and not self.drop:
            raise ValueError("a fault needs a status, a delay, garbage=True or drop=True")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status {self.status} is not an HTTP status")
        if self.status is not None and (self.garbage or self.drop):
            raise ValueError("a status answer cannot also be garbage or dropped")
        if self.garbage and self.drop:
            raise ValueError("choose garbage or drop, not both")
        if self.delay is not None and self.delay < 0:
            raise ValueError("delay must not be negative")

    def matches(self, method: str, path: str) -> bool:
        return self._method in ("*", method) and self._pattern.match(path) is not None

    def describe(self) -> str:
        if self.status is not None:
            what = f"status {self.status}"
        elif self.garbage:
            what = "garbage body"
        elif self.drop:
            what = "dropped response"
        else:
            what = "delay"
        if self.delay:
            what += f" after {self.delay:g} s" if what != "delay" else f" of {self.delay:g} s"
        return f"{self.route}: {what}"

    def as_dict(self) -> dict[str, Any]:
        body = self.body.decode("utf-8", "replace") if isinstance(self.body, bytes) else self.body
        return {
            "route": self.route,
            "times": self.times,
            "status": self.status,
            "body": body,
            "headers": dict(self.headers or {}),
            "delay": self.delay,
            "garbage": self.garbage,
            "drop": self.drop,
        }


class FaultPlan:
    """Faults waiting to happen, first added first used."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this call, if any, counting the call against it."""
        for fault in self._faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None
