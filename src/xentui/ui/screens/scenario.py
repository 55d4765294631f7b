"""The demo's scenario menu: restart the simulator with another scenario."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


class ScenarioScreen(ModalScreen[str | None]):
    """Pick a scenario (Enter) or go back (Esc); the result is the scenario name or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", priority=True)]

    def __init__(self, scenarios: Mapping[str, str], current: str | None = None) -> None:
        super().__init__()
        self.scenarios = dict(scenarios)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="scenario-dialog") as box:
            box.border_title = "Restart the simulator with a scenario"
            box.border_subtitle = "Enter: restart · Esc: back"
            options = []
            for name, text in self.scenarios.items():
                label = Text()
                label.append(name, style="bold")
                if name == self.current:
                    label.append(" (running)", style="dim")
                label.append(f"\n  {text}", style="dim")
                options.append(Option(label, id=name))
            yield OptionList(*options, id="scenario-list")
            yield Label("The simulated pool restarts from scratch; the console follows it.", id="scenario-note")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        names = list(self.scenarios)
        if self.current in names:
            ol.highlighted = names.index(self.current)
        ol.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
