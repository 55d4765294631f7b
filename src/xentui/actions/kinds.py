"""The kinds of step: each feature registers its own; the runner and the guard rails look them up.

A kind is all the runner and the guard rails know of one xapi operation a plan
can hold (`StepAction` is the vocabulary, a feature registers what it does):

* `command(step)`: the command the `xe.commands` builders make of the step's
  data (raises ValueError / Refused when the data is invalid);
* `early(step, facts, diagnosis)` / `late(...)`: why not now (None: allowed),
  checked before / once the host is known to be reachable;
* `verify(run, i, step, result, report, deadline)`: its effect, read back from
  the hosts through the runner's `ReadBack` (never the printed message):
  `(True, what was seen)`, `(False, what was missing)`, or `(None, why no check
  applies)`;
* `explain(step, result, facts)`: the failure in plain words, where the feature
  knows better than the generic text (None: the generic text);
* `detail(step, stdout)`: what the audit keeps of the output beyond its first
  line ("" for nothing more);
* `performed`: the feature does the step itself (onboarding: an SFTP upload, a
  known_hosts line, a join with the password on stdin): it hands the runner a
  performer for it, and there is no command to rebuild;
* `perform(run, step)`: the performer itself, when it needs nothing but the
  runner (`run.engine`, `run.audit`): power through a BMC, a stranded VM's
  re-read / reset / read-back. The runner uses it when no performer was handed;
* `out_of_band`: the step reaches its host through the host's BMC, not over
  SSH (power on / off): the pool's lease is not asked of that host (it may be
  the lost one).

The runner names no feature: a feature's package registers its kinds when it
is imported (`actions.features` imports every feature), and deleting the
feature deletes its kinds with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from xentui.actions.plan import Step, StepAction

if TYPE_CHECKING:
    from xentui.core.model import CommandResult, HostFacts
    from xentui.diagnosis import Diagnosis
    from xentui.engine.pool import PoolEngine

__all__ = ["KINDS", "ReadBack", "StepCheck", "StepKind", "Verifier", "kind_of", "register_step"]

StepCheck = Callable[[Step, "Mapping[str, HostFacts]", "Diagnosis | None"], "str | None"]


class ReadBack(Protocol):
    """What a kind's `verify` may ask of the runner (PlanRunner implements it)."""

    engine: PoolEngine
    fuse: float

    @property
    def before(self) -> tuple[dict[str, HostFacts], Diagnosis]:
        """The facts and diagnosis as they were when the step was sent."""

    async def progress(self, step: int | None, phase: str, message: str, host: str | None = None, **kw: Any) -> None:
        """Tell the screen what the check is doing."""

    async def wait_fuse(self, i: int, step: Step, seconds: float, what: str) -> None:
        """Wait out a toolstack restart, ticking the countdown."""

    async def holds_master(self, i: int, host: str, deadline: float) -> tuple[bool, str]:
        """Re-probe `host` until pool.conf says master and its toolstack answers as master."""

    async def toolstack_answers(self, i: int, host: str, deadline: float) -> tuple[bool, str]:
        """Re-probe `host` until its toolstack answers."""

    async def follows(self, i: int, step: Step, deadline: float) -> tuple[bool, str]:
        """Re-probe `step.host` until it follows `step.new_master` (pool.conf and toolstack)."""

    async def settle(
        self, i: int, new: str, deadline: float, hopeless: set[str] | frozenset[str] = frozenset()
    ) -> tuple[bool, str, list[str]]:
        """Re-probe the pool until every reachable host follows `new` and is served by it."""


Verifier = Callable[[ReadBack, int, Step, "CommandResult", Any, float], Awaitable[tuple["bool | None", str]]]


@dataclass(frozen=True)
class StepKind:
    """One kind of step as its feature registered it (see the module docstring)."""

    action: StepAction
    command: Callable[[Step], str] | None = None
    early: StepCheck | None = None
    late: StepCheck | None = None
    verify: Verifier | None = None
    explain: Callable[[Step, CommandResult, Mapping[str, HostFacts]], str | None] | None = None
    detail: Callable[[Step, str], str] | None = None
    performed: bool = False
    perform: Callable[[Any, Step], Awaitable[Any]] | None = None
    out_of_band: bool = False


#: every kind of step the runner may run, registered by the feature that plans it
KINDS: dict[StepAction, StepKind] = {}


def register_step(
    action: StepAction,
    command: Callable[[Step], str] | None = None,
    *,
    early: StepCheck | None = None,
    late: StepCheck | None = None,
    verify: Verifier | None = None,
    explain: Callable[[Step, CommandResult, Mapping[str, HostFacts]], str | None] | None = None,
    detail: Callable[[Step, str], str] | None = None,
    performed: bool = False,
    perform: Callable[[Any, Step], Awaitable[Any]] | None = None,
    out_of_band: bool = False,
) -> None:
    """A feature declares its kind of step (one call per kind, made when its package is imported)."""
    if (command is None) != performed:
        raise ValueError(f"{action}: a kind has a command builder, or is performed by its feature, not both")
    if perform is not None and not performed:
        raise ValueError(f"{action}: only a performed kind has a performer")
    KINDS[action] = StepKind(action, command, early, late, verify, explain, detail, performed, perform, out_of_band)


def kind_of(action: StepAction | str) -> StepKind | None:
    """The registered kind (None: no feature registered it, so nothing may run it)."""
    return KINDS.get(action)  # type: ignore[call-overload]
