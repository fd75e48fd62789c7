"""The benchmark suite: our code beside the raw sqlite3 floor and the eventsourcing peer.

Run it with ``python -m benchmarks.run`` (see ``benchmarks/README.md``). Nothing in
``src/civicledger`` imports this package; ``eventsourcing`` is imported only here.
"""
