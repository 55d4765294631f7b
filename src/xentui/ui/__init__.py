"""The Textual console.  The only package that imports `textual`.

Modules:
    app          XentuiApp, run_console(), run_demo()
    source       fact sources: LiveSource (a PoolEngine), StaticSource (given facts)
    render       pure rendering of facts and diagnosis (cells, banner, host pane)
    widgets/     banner + fleet line, host table, host pane, activity log
    screens/     pool (home), host, activity, help, scenario
    panes/       the pane registry (PaneSpec, PANES) and the built-in panes
    confirm      ConfirmScreen, for every dangerous command
    commands     the command palette provider
    demo         DemoController: the simulator behind `xentui demo`
    samples      constructed facts of the main states (snapshot tests, pane tests)
    screenshots  `python -m xentui.screenshots`: SVGs of the demo, headless
    errors       `guarded`: handlers report errors instead of ending the console
    testing      send_key / key_takes_effect / until, for tests next to a live simulator
    xentui.tcss  the styles
"""
