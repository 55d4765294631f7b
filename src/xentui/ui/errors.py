"""No exception may end the console: handlers report errors and carry on."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def report(node: Any, what: str, error: BaseException) -> None:
    """Show `error` through the app (`XentuiApp.report_error`), or at least log it."""
    app = getattr(node, "app", None)
    reporter = getattr(app, "report_error", None)
    if reporter is not None:
        reporter(what, error)
    elif app is not None:  # pragma: no cover - a bare App in a test
        app.log.error(f"{what}: {error!r}")


def guarded(what: str) -> Callable[[F], F]:
    """Decorate a (sync) handler of a widget/screen: an exception is reported, not raised."""

    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except Exception as e:
                report(self, what, e)
                return None

        return inner  # type: ignore[return-value]

    return wrap
