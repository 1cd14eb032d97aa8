"""`python -m dynamis` runs the same CLI as the `dynamis` console script."""

from dynamis.cli import main

main()
