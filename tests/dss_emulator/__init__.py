"""The DSS emulator as a package: node.py (state, free of Flask), the models it backs, app.py and routes/ (the
web layer), inprocess.py (the same app without a server, for fast tests). Run a node with
`python tests/dss_emulator ...` or `python -m tests.dss_emulator ...` (docs/emulator.md)."""
