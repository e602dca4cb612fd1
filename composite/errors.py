"""The one exception tree of composite; every error says what is wrong and where.

    CompositeError                      code, message, file, line, column, field
    ├── ProjectError                    a project that cannot be loaded (YAML, schema, files)
    │   ├── ExpressionSyntaxError       an expression that does not parse
    │   └── GraphError                  a cycle, a name nobody writes, two writers of one name
    ├── RequestError                    a request rejected before anything ran; lists every problem
    ├── EvaluationError                 a node failed on valid input (division by zero, ...)
    ├── StoreError                      the decision store failed or is of an unknown kind
    │   └── DecisionNotFound            no decision with that id
    └── ExtraNotInstalled               an optional dependency is missing; says how to install it
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located: the unit every error reports in."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    severity: str = "error"  # "error" fails `composite validate`; "warning" is reported only
    fix: str | None = None  # what to write instead, when the check knows (`composite validate --json`)

    def location(self) -> str:
        parts = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        text = f"{'warning: ' if self.severity == 'warning' else ''}{self.message} [{self.code}]"
        return f"{loc}: {text}" if loc else text

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @property
    def is_error(self) -> bool:
        return self.severity != "warning"


class CompositeError(Exception):
    """Base of every error composite raises on purpose.

    Carries one or more located `Problem`s; `str(error)` lists them all.
    """

    code = "composite_error"

    def __init__(
        self,
        message: str | None = None,
        *,
        problems: list[Problem] | None = None,
        code: str | None = None,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        if problems is None:
            problems = [
                Problem(
                    code=code or self.code,
                    message=message or "",
                    file=file,
                    line=line,
                    column=column,
                    field=field,
                    fix=fix,
                )
            ]
        self.problems: list[Problem] = list(problems)
        first = self.problems[0] if self.problems else None
        self.file = first.file if first else file
        self.line = first.line if first else line
        self.column = first.column if first else column
        self.field = first.field if first else field
        self.message = message if message is not None else (first.message if first else "")
        if code:
            self.code = code
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        head = self.message or f"{len(self.problems)} problems"
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class ProjectError(CompositeError):
    code = "project_error"


class ExpressionSyntaxError(ProjectError):
    code = "expression_syntax"


class GraphError(ProjectError):
    code = "graph_error"


class RequestError(CompositeError):
    code = "bad_request"


class EvaluationError(CompositeError):
    code = "evaluation_error"


class StoreError(CompositeError):
    code = "store_error"


class DecisionNotFound(StoreError):
    code = "decision_not_found"


class ExtraNotInstalled(CompositeError):
    code = "extra_not_installed"


def located(problem: Problem, *, file: str | None = None, line_offset: int = 0) -> Problem:
    """The same problem moved into a file, its line shifted by where the snippet starts."""
    return Problem(
        code=problem.code,
        message=problem.message,
        file=file or problem.file,
        line=(problem.line + line_offset) if problem.line is not None else None,
        column=problem.column,
        field=problem.field,
        severity=problem.severity,
        fix=problem.fix,
    )


__all__ = [
    "CompositeError",
    "DecisionNotFound",
    "EvaluationError",
    "ExpressionSyntaxError",
    "ExtraNotInstalled",
    "GraphError",
    "Problem",
    "ProjectError",
    "RequestError",
    "StoreError",
    "located",
]
