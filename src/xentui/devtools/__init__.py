"""Development tools, out of the product's import path.

Only `xentui demo`, `xentui sim` and the tests load this package (the
console and `xentui status` never do; tests/test_import_contracts.py checks it):

    demo         DemoController and run_demo(): the simulator behind `xentui demo`
    samples      constructed facts of the main states (snapshot tests, pane tests)
    screenshots  `python -m xentui.screenshots`: SVGs of the demo, headless
    testing      send_key / key_takes_effect / until / sample_pane, for tests of the console

It may import `textual` (it drives the console) and `xentui.sim`.
"""
