"""The console's widgets, one module per area of the pool screen."""

from xentui.ui.widgets.activity import ActivityLog
from xentui.ui.widgets.banner import FleetLine, VerdictBanner
from xentui.ui.widgets.detail import HostDetail
from xentui.ui.widgets.hosts import HostTable

__all__ = ["ActivityLog", "FleetLine", "HostDetail", "HostTable", "VerdictBanner"]
