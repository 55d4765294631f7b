from xentui.cli import run

run()
