"""The load benchmark (`make bench`, issue 9): its settings, its URLconf with the floor, the runner.

Nothing here is imported by the app: production and the test suite never load these modules.
"""
