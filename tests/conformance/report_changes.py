"""The changes a reading makes to a validator's report: findings dropped, moved or added."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rexport.conformance.suite import Case

from conformance import ratios
from conformance.case_contents import manifest_of, strings

Report = dict[str, Any]
Finding = dict[str, Any]


def findings(report: Report, keep: Callable[[Finding], bool]) -> Report:
    """``report`` with the findings ``keep`` refuses dropped."""
    return {**report, "findings": [f for f in report["findings"] if keep(f)]}



def moved(report: Report, move: Callable[[Finding], Finding]) -> Report:
    """``report`` with each finding replaced by what ``move`` makes of a copy of it."""
    return {**report, "findings": [move(dict(f)) for f in report["findings"]]}



def added(report: Report, more: list[Finding]) -> Report:
    """``report`` with ``more`` findings, those it already has left out."""
    return {**report, "findings": report["findings"] + [f for f in more
                                                        if f not in report["findings"]]}



def finding(code: str, pointer: str, file: str = "rex.json", severity: str = "error"
             ) -> Finding:
    return {"code": code, "severity": severity, "file": file, "pointer": pointer}



def in_manifest(finding: Finding, *codes: str) -> bool:
    return finding["code"] in codes and finding["file"] == "rex.json"


def stop_after(codes: tuple[str, ...]) -> Callable[[Case, Report], Report]:
    """A reading in which ``codes`` stop the manifest's checks as the other parse findings do."""
    def change(case: Case, report: Report) -> Report:
        if not any(in_manifest(f, *codes) for f in report["findings"]):
            return report
        return findings(report, lambda f: f["file"] != "rex.json"
                         or f["code"].startswith("REX-P"))
    return change



def credentials_where(case: Case, report: Report, flagged: Callable[[str], bool],
                       code: str = "REX-K101") -> Report:
    """``report`` with ``code`` added at each string of the manifest that ``flagged`` accepts."""
    return added(report, [finding(code, at) for at, text in strings(manifest_of(case))
                          if flagged(text)])



def cleared_where(case: Case, report: Report, cleared: Callable[[str], bool],
                   code: str = "REX-K101") -> Report:
    """``report`` without the ``code`` findings at manifest strings that ``cleared`` accepts."""
    values = dict(strings(manifest_of(case)))
    return findings(report, lambda f: not (f["code"] == code and f["file"] == "rex.json"
                                           and cleared(values.get(f["pointer"], ""))))



def container_named(name: Callable[[Case], str]) -> Callable[[Case, Report], Report]:
    """A reading in which a container finding about no member names the file ``name`` gives."""
    def change(case: Case, report: Report) -> Report:
        return moved(report, lambda f: {**f, "file": name(case)}
                     if f["code"].startswith("REX-X") and f["file"] == case.input_path.name
                     else f)
    return change



def also(code: str, where: Callable[[Case, Finding], str | None], *, file: str = "rex.json",
          severity: str = "error") -> Callable[[Case, Report], Report]:
    """A reading that adds ``code`` beside each finding for which ``where`` gives a pointer."""
    def change(case: Case, report: Report) -> Report:
        more = [finding(code, at, file, severity) for f in report["findings"]
                if (at := where(case, f)) is not None]
        return added(report, more)
    return change



def judged_by(over: Callable[[Case], bool]) -> Callable[[Case, Report], Report]:
    """A reading in which a .tar.gz is over the ratio as a whole exactly when ``over`` says:
    the findings of its tar members are dropped, one about the container added."""
    def change(case: Case, report: Report) -> Report:
        if not ratios.is_tar_gz(case):
            return report
        kept = findings(report, lambda f: f["code"] != "REX-X115")
        return added(kept, [finding("REX-X115", "", case.input_path.name)]) if over(case) \
            else kept
    return change



def members_judged(over: Callable[[float, float], bool]) -> Callable[[Case, Report], Report]:
    """A reading in which a tar member of a .tar.gz is over the ratio exactly when ``over``
    says of its ratio as a whole and the highest of its prefixes past 1 MiB."""
    def change(case: Case, report: Report) -> Report:
        if not ratios.is_tar_gz(case):
            return report
        flagged = {name for name, whole, prefix in ratios.member_ratios(case)
                   if over(whole, prefix)}
        kept = findings(report, lambda f: f["code"] != "REX-X115" or f["file"] in flagged)
        return added(kept, [finding("REX-X115", "", name) for name in sorted(flagged)])
    return change
