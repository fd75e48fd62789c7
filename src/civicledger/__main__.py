"""Run the command line as ``python -m civicledger``."""

from civicledger.cli import main

main()
