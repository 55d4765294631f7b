"""Out-of-band power as data: what a host's BMC said, when, and what an operator attested.

A `PowerFact` is an observation: the BMC's own answer (Redfish PowerState or
IPMI chassis power), with when and how it was read, or the clear error that
kept it from being read. An `OffAttestation` is not an observation: it is an
operator's word, typed as the host's name, that the host is physically off
(no BMC to ask). Both gate the reset of a lost host's VMs; the audit keeps
them apart.

Nothing here does I/O.
"""

from __future__ import annotations

import time
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["OffAttestation", "PowerFact", "PowerState"]


class PowerState(StrEnum):
    ON = "on"
    OFF = "off"
    CHANGING = "changing"  # PoweringOn / PoweringOff
    UNKNOWN = "unknown"  # not read, or the BMC could not be asked (error says why)


class PowerFact(BaseModel):
    """One reading of a host's power through its BMC."""

    model_config = ConfigDict(frozen=True)

    state: PowerState
    raw: str | None = None  # what the BMC said ("On", "Off", "PoweringOff"…)
    at: float  # time.time() of the reading (or of the failed attempt)
    how: str  # "Redfish GET https://…/redfish/v1/Systems/1 PowerState"
    bmc: str  # the BMC's address as configured
    error: str | None = None  # why it could not be read: unreachable, 401, TLS…
    warning: str | None = None  # e.g. TLS verification off by the config

    def age(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.at)

    @property
    def off(self) -> bool:
        """The BMC itself said Off in this reading."""
        return self.state is PowerState.OFF and self.error is None


class OffAttestation(BaseModel):
    """An operator typed the host's name to attest it is physically off: a statement, not a fact."""

    model_config = ConfigDict(frozen=True)

    host: str
    typed: str
    at: float
    operator: str = ""
