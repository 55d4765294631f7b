"""The Textual console.  The only package of the product that imports `textual`.

The demo wiring, samples, screenshots and test helpers live in
`xentui.devtools` (which drives this package; this package never imports it).

Modules:
    app          XentuiApp, run_console()
    source       fact sources: LiveSource (a PoolEngine), StaticSource (given facts)
    render       pure rendering of facts and diagnosis (cells, banner, host pane)
    widgets/     banner + fleet line, host table, host pane, activity log
    screens/     pool (home), host, activity, help, scenario
    panes/       the pane registry (PaneSpec, PANES) and the built-in panes
    confirm      ConfirmScreen, for every dangerous command
    commands     the command palette provider
    errors       `guarded`: handlers report errors instead of ending the console
    xentui.tcss  the styles
"""
