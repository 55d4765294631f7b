from xentui.cli.main import run

run()
