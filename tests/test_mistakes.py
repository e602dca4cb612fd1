"""The mistakes rule authors make, each reported at the place it was made, with the fix.

Every test writes one small claims project, makes one mistake in one of its files, loads it, and
asserts the file, line and column of the problem and the words of the fix. The project is
written here, not copied from a template, so that the lines and columns below stay what they are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from composite import expr
from composite.errors import Problem, ProjectError
from composite.project import load_project

COMPOSITE_YAML = """\
name: mistakes
version: "1"
outputs: [route, points, suspicion]
nodes:
  - name: facts
    kind: expression
    writes:
      early_claim: policy_age_days < 90
  - {name: timing, kind: fuzzy, file: rules/suspicion.fuzzy.yaml}
  - {name: flags, kind: table, file: rules/flags.table.yaml}
  - {name: routing, kind: rules, file: rules/routing.rules.yaml}
"""

CONCEPTS_YAML = """\
concepts:
  claim_amount: {type: number, range: [0, 1000000]}
  claim_type: {type: category, values: [auto, home, health]}
  policy_age_days: {type: integer, range: [0, 36500]}
  days_to_report: {type: integer, range: [0, 3650]}
  early_claim: {type: boolean}
  suspicion: {type: number, range: [0, 100]}
  points: {type: number}
  route: {type: category, values: [fast_track, standard, investigate]}
  reason: {type: string}
"""

# Line 5: `    when: claim_amount <= 2000 and points == 0`, the condition starting at column 11.
ROUTING_RULES = """\
ruleset: routing
defaults: {route: standard, reason: "handled in the standard way"}
rules:
  - name: small
    when: claim_amount <= 2000 and points == 0
    then: {route: fast_track, reason: "small claim without red flags"}
  - name: suspicious
    description: Suspicious timing is investigated.
    when: suspicion >= 60 or early_claim
    then: {route: investigate}
"""

FLAGS_TABLE = """\
table: points
hit_policy: COLLECT
aggregation: SUM
inputs:
  - {name: claim_amount, type: number}
  - {name: claim_type, values: [auto, home, health]}
outputs: [points]
rules:
  - {claim_amount: '> 20000', points: 2, id: large}
  - {claim_type: '"auto"', points: 1, id: auto}
"""

SUSPICION_FUZZY = """\
fuzzy: suspicion
inputs:
  days_to_report:
    range: [0, 60]
    terms:
      prompt: [trapmf, 0, 0, 3, 10]
      late: [trapmf, 5, 20, 60, 60]
outputs:
  suspicion:
    range: [0, 100]
    terms:
      low: [trapmf, 0, 0, 20, 40]
      high: [trapmf, 60, 80, 100, 100]
    defuzzify: centroid
    default: 50
rules:
  - {name: prompt, if: days_to_report is prompt, then: suspicion is low}
  - {name: late, if: days_to_report is late, then: suspicion is high}
"""

FILES = {
    "composite.yaml": COMPOSITE_YAML,
    "knowledge/concepts.yaml": CONCEPTS_YAML,
    "rules/routing.rules.yaml": ROUTING_RULES,
    "rules/flags.table.yaml": FLAGS_TABLE,
    "rules/suspicion.fuzzy.yaml": SUSPICION_FUZZY,
}

ROUTING = "rules/routing.rules.yaml"


def write(root: Path, file: str | None = None, old: str = "", new: str = "") -> Path:
    for relative, text in FILES.items():
        if relative == file:
            assert text.count(old) == 1, f"{old!r} is not once in {relative}"
            text = text.replace(old, new)
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def mistake(root: Path, file: str, old: str, new: str) -> list[Problem]:
    """The problems of the project with `old` replaced by `new` in `file`."""
    with pytest.raises(ProjectError) as caught:
        load_project(write(root, file, old, new))
    return caught.value.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_the_project_without_mistakes_loads(tmp_path: Path) -> None:
    project = load_project(write(tmp_path))
    assert [node.name for node in project.graph.order] == ["facts", "timing", "flags", "routing"]


# -- unknown names: at the use, with the concept meant ---------------------------------------


@pytest.mark.parametrize(
    "written, place",
    [
        # plain text: the name's own column on the `when:` line
        ("when: claim_amount <= 2000 and pionts == 0", "rules/routing.rules.yaml:5:36"),
        # quoted: the quote is not part of the text, so everything moves one column right
        ("when: 'claim_amount <= 2000 and pionts == 0'", "rules/routing.rules.yaml:5:37"),
        # a `>` block: YAML folds the lines into one; the error still names the second line
        ("when: >\n      claim_amount <= 2000\n      and pionts == 0", "rules/routing.rules.yaml:7:11"),
        # a `|` block keeps the lines; the same place
        ("when: |\n      claim_amount <= 2000\n      and pionts == 0", "rules/routing.rules.yaml:7:11"),
        # plain text continued on the next line
        ("when: claim_amount <= 2000\n      and pionts == 0", "rules/routing.rules.yaml:6:11"),
    ],
)
def test_a_typo_in_a_rule_names_the_place_of_the_use_and_the_concept_meant(
        tmp_path: Path, written: str, place: str) -> None:
    problem = only(mistake(tmp_path, ROUTING, "when: claim_amount <= 2000 and points == 0", written))
    assert str(problem).startswith(f"{place}, field 'rules.small.when': ")
    assert problem.message == ("node 'routing' reads 'pionts', which no node writes and knowledge/ does not define; "
                               "did you mean 'points'?")
    assert (problem.code, problem.fix) == ("unknown_name", "points")


def test_a_typo_in_an_expression_node_names_composite_yaml_at_the_use(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, "composite.yaml", "early_claim: policy_age_days < 90",
                           "early_claim: policy_age_dyas < 90"))
    assert str(problem).startswith("composite.yaml:8:20, field 'nodes.facts.writes.early_claim': ")
    assert problem.message.endswith("reads 'policy_age_dyas', which no node writes and knowledge/ does not define; "
                                    "did you mean 'policy_age_days'?")


def test_a_typo_on_the_second_line_of_a_folded_formula_names_that_line(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, "composite.yaml", "early_claim: policy_age_days < 90",
                           "early_claim: >\n        policy_age_days < 90\n        and claim_amout > 0"))
    assert (problem.file, problem.line, problem.column) == ("composite.yaml", 10, 13)
    assert problem.message.endswith("did you mean 'claim_amount'?")


def test_a_typo_in_a_table_input_names_the_table_file_at_the_name(tmp_path: Path) -> None:
    problems = mistake(tmp_path, "rules/flags.table.yaml", "  - {name: claim_type, values: [auto, home, health]}\n",
                       "  - {name: claim_type, values: [auto, home, health]}\n"
                       "  - {name: days_to_reprot, type: number}\n")
    problem = only(problems)
    assert str(problem).startswith("rules/flags.table.yaml:7:12: ")
    assert problem.message.endswith("reads 'days_to_reprot', which no node writes and knowledge/ does not define; "
                                    "did you mean 'days_to_report'?")


def test_a_typo_in_a_table_output_entry_names_the_table_file_at_the_name(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, "rules/flags.table.yaml", "points: 2, id: large",
                           "points: 'claim_amout / 10000', id: large"))
    assert str(problem).startswith("rules/flags.table.yaml:9:40: ")
    assert problem.message.endswith("did you mean 'claim_amount'?")


def test_a_typo_in_a_fuzzy_rule_names_the_rule_and_the_input_meant(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, "rules/suspicion.fuzzy.yaml", "if: days_to_report is late",
                           "if: days_to_reprot is late"))
    assert str(problem).startswith("rules/suspicion.fuzzy.yaml:18:22, field 'rules[1].if': ")
    assert problem.message == ("rule 'late' reads 'days_to_reprot', which is not an input; "
                               "did you mean 'days_to_report'? (inputs: days_to_report; or, if the rule is right, "
                               "correct the input's name under inputs:)")


def test_a_typo_in_a_fuzzy_input_names_the_fuzzy_file_at_the_name(tmp_path: Path) -> None:
    # The input and both rules spelled alike: the rule base is consistent, the graph is not.
    write(tmp_path)
    fuzzy = tmp_path / "rules/suspicion.fuzzy.yaml"
    fuzzy.write_text(SUSPICION_FUZZY.replace("days_to_report", "days_to_reprot"))
    with pytest.raises(ProjectError) as caught:
        load_project(tmp_path)
    problem = only(caught.value.problems)
    assert str(problem).startswith("rules/suspicion.fuzzy.yaml:3:3: ")
    assert problem.message.endswith("did you mean 'days_to_report'?")


def test_a_name_close_to_nothing_keeps_the_advice_to_define_it(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, ROUTING, "and points == 0", "and weather == 0"))
    assert str(problem).startswith("rules/routing.rules.yaml:5:36, field 'rules.small.when': ")
    assert problem.message.endswith("define the concept in knowledge/ or add a node that writes it")
    assert problem.fix is None


# -- text left unquoted ----------------------------------------------------------------------


def test_an_allowed_value_left_unquoted_in_a_rule_is_text_to_quote(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, ROUTING, "when: suspicion >= 60 or early_claim",
                           "when: suspicion >= 60 or claim_type == auto"))
    assert str(problem).startswith("rules/routing.rules.yaml:9:44, field 'rules.suspicious.when': ")
    assert problem.message == "'auto' is not a name: did you mean the text \"auto\"? write claim_type == \"auto\""
    assert (problem.code, problem.fix) == ("rules.unquoted_text", 'claim_type == "auto"')


def test_a_near_miss_of_an_allowed_value_unquoted_in_a_formula_is_the_text_meant(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, "composite.yaml", "early_claim: policy_age_days < 90",
                           "early_claim: policy_age_days < 90 and claim_type != helth"))
    assert (problem.file, problem.line, problem.column) == ("composite.yaml", 8, 59)
    assert problem.message == "'helth' is not a name: did you mean the text \"health\"? write claim_type != \"health\""
    assert problem.code == "unquoted_text"


def test_an_unquoted_word_without_knowledge_of_it_is_still_told_to_be_quoted(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, ROUTING, "when: suspicion >= 60 or early_claim",
                           "when: suspicion >= 60 or route == manual"))
    assert problem.message.endswith("if 'manual' is a text, quote it: route == \"manual\"")


# -- operators from other languages ----------------------------------------------------------


@pytest.mark.parametrize(
    "written, column, message, fix",
    [
        ("claim_amount =< 2000", 24, "unexpected '=<'; write '<=' (less than or equal)", "<="),
        ("claim_amount => 2000", 24, "unexpected '=>'; write '>=' (greater than or equal)", ">="),
        ("claim_amount <> 2000", 24, "unexpected '<>'; write '!=' (not equal)", "!="),
        ("claim_amount = 2000", 24, "unexpected '='; write '==' to compare", "=="),
        ("claim_amount <= 2000 AND", 32, "unexpected 'AND'; write 'and' (keywords are lower case)", "and"),
        ("claim_amount <= 2000 &&", 32, "unexpected '&&'; write 'and'", "and"),
        ("claim_amount <= 2000 OR", 32, "unexpected 'OR'; write 'or' (keywords are lower case)", "or"),
    ],
)
def test_an_operator_from_another_language_is_named_with_the_one_to_write(
        tmp_path: Path, written: str, column: int, message: str, fix: str) -> None:
    problem = only(mistake(tmp_path, ROUTING, "claim_amount <= 2000 and", written))
    assert (problem.file, problem.line, problem.column) == (ROUTING, 5, column)
    assert (problem.message, problem.code, problem.fix) == (message, "expression_syntax", fix)


# -- YAML, in plain words ----------------------------------------------------------------------


def yaml_problem(root: Path, old: str, new: str) -> Problem:
    problem = only(mistake(root, ROUTING, old, new))
    assert problem.code == "yaml_syntax" and problem.file == ROUTING
    return problem


def test_a_line_indented_too_far_is_told_to_align_with_the_key_above(tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, "    then: {route: investigate}", "      then: {route: investigate}")
    assert (problem.line, problem.column) == (10, 11)
    assert problem.message == (
        "YAML syntax error: line 10 ('then:') is indented more than line 9 ('when:'), so YAML reads it as more of "
        "the text on line 9 and cannot place its ':'; align 'then:' with 'when:' (column 5), or quote the text if "
        "the line belongs to it (YAML: mapping values are not allowed here)")


def test_a_tab_is_told_to_be_spaces(tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, "    then: {route: investigate}", "\tthen: {route: investigate}")
    assert (problem.line, problem.column) == (10, 1)
    assert problem.message.startswith("YAML syntax error: line 10 is indented with a tab; YAML indents with spaces "
                                      "only: replace the tab with spaces")


def test_a_colon_inside_unquoted_text_is_told_to_quote_the_text(tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, "description: Suspicious timing is investigated.",
                           "description: Note: suspicious timing is investigated.")
    assert (problem.line, problem.column) == (8, 22)
    assert problem.message.startswith(
        "YAML syntax error: the text after 'description:' contains ': ', which YAML reads as the start of another "
        "key; put the whole text in quotes: description: \"Note: suspicious timing is investigated.\"")


def test_a_quote_left_open_is_reported_where_it_opens(tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, 'reason: "small claim without red flags"}',
                           'reason: "small claim without red flags}')
    assert (problem.line, problem.column) == (6, 39)
    assert problem.message.startswith('YAML syntax error: the " opened at line 6, column 39 is never closed; '
                                      'add the closing " at the end of the text')


def test_a_quote_left_open_inside_braces_is_reported_where_it_opens_though_a_later_quote_closes_it(
        tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, 'reason: "small claim without red flags"}\n  - name: suspicious\n'
                                     '    description: Suspicious timing is investigated.',
                           'reason: "small claim without red flags}\n  - name: suspicious\n'
                           '    description: "Suspicious timing is investigated."')
    assert (problem.line, problem.column) == (6, 39)
    assert problem.message.startswith('YAML syntax error: the " opened at line 6, column 39 is not closed on its '
                                      'line; add the closing " at the end of the text')


def test_a_brace_left_open_is_reported_where_it_opens(tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, "then: {route: investigate}", "then: {route: investigate")
    assert (problem.line, problem.column) == (10, 11)
    assert problem.message.startswith("YAML syntax error: the '{' opened at line 10, column 11 is not closed "
                                      "before line 11; add '}' at the end of line 10")


def test_a_comma_in_unquoted_text_inside_braces_is_said_to_split_it(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, "rules/flags.table.yaml", "points: 1, id: auto}",
                           "points: 1, id: auto, description: cars (over 20,000 km)}"))
    assert (problem.file, problem.line, problem.column, problem.code) == (
        "rules/flags.table.yaml", 10, 75, "yaml_flow_comma")
    assert problem.message == (
        "the ',' before '000 km)' split the text 'cars (over 20,000 km)': inside {...} a comma separates entries, "
        "so '000 km)' was read as a key of its own; quote the text: description: \"cars (over 20,000 km)\"")
    assert problem.fix == 'description: "cars (over 20,000 km)"'


def test_a_key_written_with_a_colon_and_no_value_inside_braces_is_still_null(tmp_path: Path) -> None:
    from composite._yaml import load_yaml

    assert load_yaml("a: {b: 1, c: }\n", file="x.yaml") == {"a": {"b": 1, "c": None}}


# -- through the command line, once ------------------------------------------------------------


def test_validate_prints_the_place_and_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from composite.cli import main

    write(tmp_path, ROUTING, "and points == 0", "and pionts == 0")
    code = main(["validate", "--project", str(tmp_path)])
    out = capsys.readouterr()
    assert code != 0
    assert "rules/routing.rules.yaml:5:36" in out.out + out.err
    assert "did you mean 'points'?" in out.out + out.err


def test_a_typo_in_an_output_gets_the_name_meant(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, "composite.yaml", "outputs: [route, points, suspicion]",
                           "outputs: [route, pionts, suspicion]"))
    assert (problem.file, problem.field, problem.code) == ("composite.yaml", "outputs", "unknown_output")
    assert (problem.message, problem.fix) == ("output 'pionts' is not written by any node; did you mean 'points'?",
                                              "points")


def test_a_row_and_a_column_spelled_differently_leave_open_which_is_the_typo(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, "rules/flags.table.yaml", "  - {name: claim_amount, type: number}",
                           "  - {name: claim_amout, type: number}"))
    assert (problem.file, problem.line, problem.field) == ("rules/flags.table.yaml", 9, "rules[1].claim_amount")
    assert problem.message == ("unknown key 'claim_amount'; did you mean 'claim_amout'? (or, if the row is right, "
                               "correct the column's name under inputs:/outputs:)")


def test_a_typo_on_the_second_line_of_a_quoted_formula_names_that_line(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, "composite.yaml", "early_claim: policy_age_days < 90",
                           "early_claim: \"policy_age_days < 90\n        and claim_amout > 0\""))
    assert (problem.file, problem.line, problem.column) == ("composite.yaml", 9, 13)


@pytest.mark.parametrize(
    "old, new, place, words",
    [
        # S-FEEL's `> 20000` in a table cell: YAML reads '>' as an indicator, not as text
        ("{claim_amount: '> 20000', points: 2", "{claim_amount: > 20000, points: 2", ("rules/flags.table.yaml", 9, 20),
         "a value cannot start with '>' in YAML; quote the text: '> 20000'"),
        ("{claim_amount: '> 20000', points: 2", "{claim_amount: '> 20000'}}, points: 2",
         ("rules/flags.table.yaml", 9, 30),
         "a '}' at line 9, column 30 closes nothing; remove it"),
    ],
)
def test_a_yaml_indicator_at_the_start_of_a_table_cell_is_told_to_be_quoted(
        tmp_path: Path, old: str, new: str, place: tuple[str, int, int], words: str) -> None:
    problem = only(mistake(tmp_path, "rules/flags.table.yaml", old, new))
    assert (problem.file, problem.line, problem.column) == place
    assert problem.message.startswith(f"YAML syntax error: {words}")


def test_a_bang_for_not_at_the_start_of_a_condition_is_told_to_write_not(tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, "when: suspicion >= 60 or early_claim", "when: !early_claim or suspicion >= 60")
    assert (problem.line, problem.column) == (9, 11)
    assert problem.message.startswith("YAML syntax error: a value starting with '!' is a YAML tag; write "
                                      "'not early_claim or suspicion >= 60' for a negation, or quote the text")


def test_a_line_back_at_the_column_of_the_list_dashes_is_told_where_to_indent_it(tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, "    then: {route: investigate}", "  then: {route: investigate}")
    assert (problem.line, problem.column) == (10, 3)
    assert problem.message.startswith(
        "YAML syntax error: line 10 ('then:') starts at the column of the list's '- ' items (column 3) but is not "
        "an item: indent it to column 5, like 'when:' on line 9, to belong to the item above, or start it with "
        "'- ' to make it an item of its own")


def test_a_line_between_two_indentations_names_both_columns(tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, "    then: {route: investigate}", "   then: {route: investigate}")
    assert (problem.line, problem.column) == (10, 4)
    assert problem.message.startswith("YAML syntax error: line 10 starts at column 4, between the entries at "
                                      "column 3 (from line 4) and at column 5 (line 9)")


def test_a_key_missing_its_colon_is_named_on_its_own_line(tmp_path: Path) -> None:
    problem = yaml_problem(tmp_path, "    description: Suspicious timing is investigated.",
                           "    description Suspicious timing is investigated.")
    assert (problem.line, problem.column) == (8, 5)
    assert problem.message.startswith("YAML syntax error: line 8 holds text that is neither 'key: value' nor a '- ' "
                                      "item: add the missing ':' after the key")


def test_a_folded_formula_keeps_yamls_text_while_its_positions_are_the_files(tmp_path: Path) -> None:
    import pickle

    project = load_project(write(tmp_path, "composite.yaml", "early_claim: policy_age_days < 90",
                                 "early_claim: >\n        policy_age_days < 90\n        and claim_amount > 0"))
    formula = project.graph.nodes["facts"].formulas["early_claim"]
    # the text (what descriptions and fingerprints hold) is YAML's, folded; the places are the file's
    assert formula.text == "policy_age_days < 90 and claim_amount > 0\n"
    claim_amount = next(node for node in expr.walk(formula.ast) if getattr(node, "name", None) == "claim_amount")
    assert formula.location(claim_amount) == (10, 13)
    again = pickle.loads(pickle.dumps(formula))
    assert (again.text, again.location(claim_amount)) == (formula.text, (10, 13))


def test_validate_gives_the_allowed_value_meant_for_a_misspelled_assignment(tmp_path: Path) -> None:
    project = load_project(write(tmp_path, ROUTING, "then: {route: investigate}", "then: {route: investgate}"))
    routing = project.graph.nodes["routing"]
    found = [p for p in routing.validate(project.knowledge, defined=project.graph.writer) if p.is_error]
    problem = only(found)
    assert (problem.file, problem.line, problem.code) == (ROUTING, 10, "rules.assigned_value")
    assert problem.message.endswith("did you mean \"investigate\"?")


def test_allowed_values_left_unquoted_in_a_list_are_all_quoted_in_the_fix(tmp_path: Path) -> None:
    problem = only(mistake(tmp_path, ROUTING, "when: suspicion >= 60 or early_claim",
                           "when: suspicion >= 60 or claim_type in [auto, \"home\", helth]"))
    assert (problem.line, problem.column, problem.code) == (9, 45, "rules.unquoted_text")
    assert problem.fix == 'claim_type in ["auto", "home", "health"]'
    assert problem.message == ("'auto' is not a name: did you mean the text \"auto\"? "
                               "write claim_type in [\"auto\", \"home\", \"health\"]")
