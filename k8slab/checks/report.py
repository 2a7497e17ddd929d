"""Check results and their reports: the live table, the summary, verify.json and verify.xml (JUnit)."""
from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field

from .. import ui
from ..workdir import ensure_workdir, write_atomic


@dataclass
class CheckResult:
    group: str            # etcd | master | network | ping | nodes
    check: str
    node: str
    passed: bool
    seconds: float
    detail: str           # one line: what was found
    evidence: str = ""    # the command(s) and their output, for failures
    hint: str = ""        # the likely cause, for failures
    # what the check found, as data for other readers (`invoke status`: the flannel lease), so
    # none of them parses the detail line
    data: dict = field(default_factory=dict)


@dataclass
class Report:
    lab: str
    results: list = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def add(self, result: CheckResult) -> None:
        self.results.append(result)
        mark = "[green]pass[/green]" if result.passed else "[red]FAIL[/red]"
        ui.say(f"  {mark}  {result.check:<28} {result.node:<12} {result.seconds:5.1f}s  "
                         f"{_escape(result.detail)}")
        if not result.passed:
            if result.hint:
                ui.say(f"        hint: {_escape(result.hint)}")
            for line in result.evidence.strip().splitlines()[-8:]:
                ui.say(f"        | {_escape(line)}")

    @property
    def failed(self) -> list:
        return [r for r in self.results if not r.passed]

    def summary(self) -> str:
        n, bad = len(self.results), len(self.failed)
        return f"verify: {n - bad} passed, {bad} failed ({time.time() - self.started:.1f}s)"


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


def write_reports(lab, report: Report) -> tuple:
    folder = ensure_workdir(lab)
    json_path, xml_path = folder / "verify.json", folder / "verify.xml"
    write_atomic(json_path, json.dumps({
        "lab": report.lab, "started": report.started,
        "passed": not report.failed, "results": [asdict(r) for r in report.results],
    }, indent=2) + "\n")
    suite = ET.Element("testsuite", name=f"k8s-lab verify {report.lab}",
                       tests=str(len(report.results)), failures=str(len(report.failed)),
                       errors="0", skipped="0",
                       time=f"{sum(r.seconds for r in report.results):.3f}")
    for r in report.results:
        case = ET.SubElement(suite, "testcase", classname=f"{report.lab}.{r.group}",
                             name=f"{r.check} [{r.node}]", time=f"{r.seconds:.3f}")
        if not r.passed:
            failure = ET.SubElement(case, "failure", message=r.detail, type="CheckFailed")
            failure.text = (f"hint: {r.hint}\n\n" if r.hint else "") + r.evidence
    suites = ET.Element("testsuites")
    suites.append(suite)
    write_atomic(xml_path, ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")
    return json_path, xml_path
