"""cfn-lint runs offline over the SAM template (it applies the SAM transform itself) and finds nothing."""

from __future__ import annotations

from cfnlint.api import lint_file
from cfnlint.config import ManualArgs
from template_support import TEMPLATE_PATH


def test_cfn_lint_reports_nothing() -> None:
    """GIVEN template.yaml
    WHEN cfn-lint checks it with its errors, warnings and informational rules
    THEN it reports no match (a documented false positive is ignored in the resource's Metadata)."""
    matches = lint_file(TEMPLATE_PATH, config=ManualArgs(include_checks=["I"]))

    assert [str(match) for match in matches] == []
