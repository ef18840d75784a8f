"""Check a django-fsm transition the way a person asks for it: state, permission, conditions.

The ticket and vendor-case services call this on a row they have just locked (so the
state is the current one) and turn the answer into their own sentence per action.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from django_fsm import can_proceed

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

WRONG_STATE = "state"
NOT_PERMITTED = "permission"


class StateMachine(Protocol):
    """A model whose django-fsm field is called `state` (tickets, vendor cases)."""

    @property
    def state(self) -> str: ...


def transition_refusal(
    locked: StateMachine, name: str, *, by: AbstractUser | None, changes: Mapping[str, object]
) -> str | None:
    """Say why transition `name` of `locked` may not run now, or None when it may.

    The answer is `WRONG_STATE`, `NOT_PERMITTED` (checked only for a person: `by=None`
    is the system) or the name of the first condition that fails once `changes` (what
    the person typed with the button) are set on `locked`.
    """
    method = getattr(locked, name)
    if not can_proceed(method, check_conditions=False):
        return WRONG_STATE
    transition = method._django_fsm.get_transition(locked.state)
    if by is not None and not transition.has_perm(locked, by):
        return NOT_PERMITTED
    for attribute, value in changes.items():
        setattr(locked, attribute, value)
    for condition in transition.conditions:
        if not condition(locked):
            return condition.__name__
    return None
