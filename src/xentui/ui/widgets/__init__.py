"""The console's widgets, one module per area of the pool screen."""

from .activity import ActivityLog
from .banner import FleetLine, VerdictBanner
from .detail import HostDetail
from .hosts import HostTable

__all__ = ["ActivityLog", "FleetLine", "HostDetail", "HostTable", "VerdictBanner"]
