"""``python -m akhbar.cli …`` = ``akhbar …`` (for a Python without the console script on PATH)."""

from akhbar.cli import main

main()
