"""Development tools, out of the product's import path.

Only `xentui demo`, `xentui sim` and the tests load this package (the
console and `xentui status` never do; tests/project/test_import_contracts.py checks it):

    demo         DemoController and run_demo(): the simulator behind `xentui demo`
    samples      constructed facts of the main states (snapshot tests, pane tests)
    screenshots  `python -m xentui.devtools.screenshots`: SVGs of the demo, headless

It may import `xensim`; like the rest of the core it imports `textual` only
through `xentui.ui` (the key-sending test drivers are in tests/helpers/keys.py).
"""
