"""provision/platforms.py: what the README says of the test platform is what the code says."""
from pathlib import Path

from provision.platforms import PLATFORMS

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def test_readme_lists_every_difference_of_the_test_platform():
    # the table is written from Platform.differences; a difference added in code but not in
    # the README (or one the README still claims after it is gone) fails here
    table = [line for line in README.splitlines()
             if line.startswith("| ") and "test platform (Kubernetes 1.19)" not in line]
    for tutorial, here in PLATFORMS["debian12"].differences:
        assert f"| {tutorial} | {here} |" in table, tutorial

