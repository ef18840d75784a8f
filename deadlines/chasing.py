"""Chase every deadline D1–D6 once per ticket (vendor case, grant) and stage (SPEC §6).

`chase_deadlines(now=...)` runs from the Celery beat task every 15 minutes and from the
`chase_deadlines` command (embedded default, cron). It composes the chasers of the apps
that own the deadlines: D1–D4 on tickets (`rma/chasing.py`), D5 on vendor cases
(`vendors/chasing.py`), D6 and the F7 write-off of lapsed store credit
(`refunds/chasing.py`). Each is safe to run twice at once; see their docstrings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from policies.models import ReturnPolicy
from refunds.chasing import chase_store_credit
from refunds.deadlines import EXPIRY_NOTICE, LAPSED
from refunds.deadlines import LABELS as CREDIT_LABELS
from rma.chasing import chase_tickets
from rma.deadlines import STAGE_LABELS, Stage
from vendors.chasing import chase_vendor_cases
from vendors.deadlines import CASE_OVERDUE, CASE_OVERDUE_LABEL

logger = logging.getLogger(__name__)

# Every stage a run reports on, in the order it chases them.
CHASED_STAGES = (*Stage.CHASED, CASE_OVERDUE, EXPIRY_NOTICE, LAPSED)
CHASED_LABELS = {**STAGE_LABELS, CASE_OVERDUE: CASE_OVERDUE_LABEL, **CREDIT_LABELS}


@dataclass
class ChaseReport:
    """What one run did, per stage: acted on (sent, expired, written off), found done, and
    left due because nobody holds the role to tell (`unreached`: role → its stages)."""

    today: date
    done: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHASED_STAGES, 0))
    already: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHASED_STAGES, 0))
    nobody: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHASED_STAGES, 0))
    unreached: dict[str, list[str]] = field(default_factory=dict)

    def count(self, stage: str, *, acted: bool) -> None:
        (self.done if acted else self.already)[stage] += 1

    def nobody_to_tell(self, stage: str, *, role: str, due: int) -> None:
        self.nobody[stage] += due
        stages = self.unreached.setdefault(role, [])
        if stage not in stages:
            stages.append(stage)

    @property
    def total(self) -> int:
        return sum(self.done.values())

    def lines(self) -> list[str]:
        rows = [_("Deadlines chased for {day}:").format(day=self.today.isoformat())]
        roles = {stage: role for role, stages in self.unreached.items() for stage in stages}
        for stage in CHASED_STAGES:
            row = _("{stage:<18} {label}: {done} done, {already} already done").format(
                stage=stage,
                label=CHASED_LABELS[stage],
                done=self.done[stage],
                already=self.already[stage],
            )
            if stage in roles:
                row += _(", {count} nobody to tell (no {role})").format(
                    count=self.nobody[stage], role=roles[stage]
                )
            rows.append(row)
        rows.append(_("Total: {total}").format(total=self.total))
        return rows

    def warn_of_unreached_roles(self) -> None:
        """Log once per role that nobody holds it, and what waits for it."""
        for role, stages in self.unreached.items():
            logger.warning(
                "Nobody to tell: no active %s with an e-mail address. %d due alert(s) wait "
                "(%s); the first run after someone takes the role sends them.",
                role,
                sum(self.nobody[stage] for stage in stages),
                ", ".join(stages),
            )


def chase_deadlines(*, now: datetime) -> ChaseReport:
    """Send the due reminders, alerts and notices, expire lapsed authorizations and write
    off lapsed store credit, once each."""
    today = timezone.localdate(now)
    report = ChaseReport(today=today)
    policies = list(ReturnPolicy.objects.all())
    chase_tickets(today=today, policies=policies, report=report)  # D1–D4
    chase_vendor_cases(today=today, report=report)  # D5
    chase_store_credit(today=today, policies=policies, report=report)  # D6, F7
    report.warn_of_unreached_roles()
    if report.total:
        logger.info("Deadlines chased: %s", {s: n for s, n in report.done.items() if n})
    return report
