"""The center file loader: the sample loads, every class of mistake is reported at its line."""

from __future__ import annotations

import textwrap

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from madoguchi.core.config import TreatmentKind
from madoguchi.core.config_document import center_document
from madoguchi.core.config_loader import ConfigError, Problem, parse_center
from madoguchi.core.model import Channel, SelectionPolicy, WorkMode
from madoguchi.samples import load_sample_center, sample_center_path, sample_center_text

BASE = """\
tenants:
  - {id: acme, name: エーシーエム}
calendars:
  - id: office
    weekly: {mon-fri: "09:00-18:00"}
skills:
  - {id: general}
  - {id: orders}
queues:
  - id: general
    name: 一般
    skills: {general: 1}
    hours: office
  - id: orders
    name: 注文
    skills: {orders: 2}
agents:
  - {id: a1, name: 佐藤, skills: {general: 5, orders: 3}}
"""


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        parse_center(textwrap.dedent(text), "c.yaml")
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return caught.value.problems


def only_problem(text: str) -> Problem:
    found = problems_of(text)
    assert len(found) == 1, found
    return found[0]


def line_with(text: str, needle: str) -> int:
    """1-based line of the only line holding ``needle``."""
    lines = [i for i, line in enumerate(textwrap.dedent(text).splitlines(), 1) if needle in line]
    assert len(lines) == 1, (needle, lines)
    return lines[0]


# the sample ---------------------------------------------------------------------------------


def test_sample_center_loads_with_two_tenants_and_about_thirty_agents() -> None:
    center = load_sample_center()
    assert [t.id for t in center.tenants] == ["midori", "aozora"]
    assert center.timezone == "Asia/Tokyo"
    assert {"general", "orders", "complaints", "tech", "vip", "chat", "email"} <= {
        q.id for q in center.queues
    }
    operators = [a for a in center.agents if a.id.startswith("op")]
    assert 28 <= len(operators) <= 32
    assert center.queue("general").service_level.fraction == 0.8
    overflow = center.queue("orders").overflow
    assert overflow is not None
    assert overflow.kind is TreatmentKind.QUEUE
    assert center.queue("chat").channels == frozenset({Channel.CHAT})
    assert center.queue("complaints").policy is SelectionPolicy.MOST_SKILLED
    assert {d.name.ja for d in center.dispositions} >= {"解決", "折り返し必要", "成約", "拒否"}
    assert {r.name.ja for r in center.not_ready_reasons} >= {"休憩", "昼休憩", "研修", "離席"}
    assert sample_center_path().read_text(encoding="utf-8") == sample_center_text()


def test_sample_center_has_one_supervisor_per_six_to_ten_agents() -> None:
    center = load_sample_center()
    for team in center.teams:
        assert team.supervisor is not None
        members = [a for a in center.agents if a.team == team.id and a.id != team.supervisor]
        assert 6 <= len(members) <= 10, team.id


def test_every_sample_queue_has_agents_with_its_skills_and_channels() -> None:
    center = load_sample_center()
    for queue in center.queues:
        eligible = [
            a
            for a in center.agents
            if {c for c, n in a.capacity} & queue.channels
            and all(a.proficiency(s.skill) >= s.min_proficiency for s in queue.skills)
        ]
        assert len(eligible) >= 3, queue.id


def test_sample_agents_take_capacity_and_work_mode_from_file_and_team() -> None:
    center = load_sample_center()
    assert dict(center.agent("op19").capacity) == {Channel.CHAT: 3, Channel.EMAIL: 5}
    assert dict(center.agent("op01").capacity) == {Channel.VOICE: 1}
    assert center.agent("op01").work_mode is WorkMode.BLENDED  # from team-general
    assert center.agent("op05").work_mode is WorkMode.INBOUND  # its own
    assert center.agent("op13").proficiency("tech") == 8
    assert center.agent("op13").proficiency("vip") == 0


def test_normalized_document_parses_back_to_an_equal_center() -> None:
    center = load_sample_center()
    text = yaml.safe_dump(center_document(center), allow_unicode=True, sort_keys=False)
    assert parse_center(text, "show.yaml") == center


def test_minimal_file_loads_with_defaults() -> None:
    center = parse_center(BASE, "c.yaml")
    queue = center.queue("general")
    assert queue.tenant == "acme"
    assert queue.priority == 0
    assert queue.max_wait_s is None
    assert queue.when_closed.kind is TreatmentKind.MESSAGE
    assert center.name.ja == "エーシーエム"
    assert center.calendar("office").timezone == "Asia/Tokyo"
    assert center.agent("a1").capacity == ((Channel.VOICE, 1),)


def test_service_level_and_durations_accept_the_documented_spellings() -> None:
    text = BASE.replace(
        "    skills: {orders: 2}\n",
        "    skills: {orders: 2}\n"
        '    service_level: "85% in 15s"\n'
        "    max_wait: 1:30\n"
        "    overflow: {action: queue, target: general}\n"
        "    after_contact_work: 2m\n"
        "    offer_timeout: 15\n",
    )
    queue = parse_center(text, "c.yaml").queue("orders")
    assert (queue.service_level.fraction, queue.service_level.seconds) == (0.85, 15.0)
    assert queue.max_wait_s == 90.0
    assert queue.after_contact_work_s == 120.0
    assert queue.offer_timeout_s == 15.0


# syntax and structure ---------------------------------------------------------------------


def test_yaml_syntax_error_is_reported_at_its_line() -> None:
    problem = only_problem("tenants:\n  - {id: acme, name: x}\nqueues: [a, b\nagents: []\n")
    assert problem.line == 4
    assert "YAML syntax error" in problem.message


def test_empty_file_is_a_problem_at_line_one() -> None:
    assert only_problem("").line == 1


def test_missing_tenants_is_reported() -> None:
    problem = only_problem("skills:\n  - {id: general}\n")
    assert (problem.line, problem.message) == (1, "the center file: 'tenants' is missing")


def test_unknown_key_suggests_the_close_one() -> None:
    text = BASE.replace("    hours: office\n", "    hours: office\n    max_wiat: 60\n")
    problem = only_problem(text)
    assert problem.line == line_with(text, "max_wiat")
    assert "unknown key 'max_wiat' (did you mean 'max_wait'?)" in problem.message


def test_unknown_top_level_key_suggests_the_close_one() -> None:
    problem = only_problem(BASE + "dispositons: []\n")
    assert problem.line == 19
    assert "did you mean 'dispositions'?" in problem.message


def test_key_given_twice_is_reported_at_the_second() -> None:
    text = BASE.replace("    hours: office\n", "    hours: office\n    hours: office\n")
    problem = only_problem(text)
    assert problem.line == 14
    assert "'hours' appears twice (first at line 13)" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        ("    skills: {orders: 2}\n", "    skills: [orders]\n", "[orders]", "must be a mapping"),
        ("    name: 注文\n", "    name: 注文\n    priority: high\n", "high", "whole number"),
        ("weekly: {", "national_holidays: maybe\n    weekly: {", "maybe", "true or false"),
        ("    name: 注文\n", "    name: 注文\n    channels: [fax]\n", "fax", "'fax' is not known"),
        ("    name: 注文\n", "    name: 注文\n    policy: longest\n", "longest", "longest_idle"),
        ("    name: 注文\n", "    name: ~\n", "~", "is empty"),
        ("{id: a1,", "{id: a 1,", "a 1", "not a valid id"),
    ],
)
def test_wrong_types_are_reported_at_the_value(
    old: str, new: str, needle: str, expected: str
) -> None:
    text = BASE.replace(old, new, 1)
    problem = only_problem(text)
    assert problem.line == line_with(text, needle)
    assert expected in problem.message


def test_a_section_that_is_not_a_list_is_reported() -> None:
    text = BASE.replace("agents:\n  - {id: a1", "agents:\n  a1: {id: a1")
    problem = only_problem(text)
    assert problem.line == 18
    assert "agents must be a list" in problem.message


# references -------------------------------------------------------------------------------


def test_unknown_skill_in_a_queue_names_the_line_and_the_closest_skill() -> None:
    text = BASE.replace("skills: {orders: 2}", "skills: {order: 2}")
    problem = only_problem(text)
    assert problem.line == 16
    assert problem.message.startswith("queue 'orders' skills: unknown skill 'order'")
    assert "(did you mean 'orders'?)" in problem.message
    assert "declare it under 'skills:'" in problem.message


def test_unknown_skill_of_an_agent_is_reported() -> None:
    text = BASE.replace("orders: 3}", "billing: 3}")
    problem = only_problem(text)
    assert problem.line == 18
    assert "unknown skill 'billing'" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("    hours: office\n", "    hours: ofice\n", "calendar 'ofice'"),
        ("    name: 注文\n", "    name: 注文\n    tenant: acne\n", "tenant 'acne'"),
        ("{id: a1,", "{id: a1, team: team-x,", "team 'team-x'"),
        (
            "    name: 注文\n",
            "    name: 注文\n    max_wait: 60\n    overflow: {action: queue, target: generl}\n",
            "queue 'generl'",
        ),
    ],
)
def test_unknown_references_are_reported_at_the_reference(old: str, new: str, kind: str) -> None:
    text = BASE.replace(old, new, 1)
    problem = only_problem(text)
    assert problem.line == line_with(text, kind.split("'")[1])
    assert f"unknown {kind}" in problem.message


def test_unknown_supervisor_is_reported() -> None:
    text = BASE + "teams:\n  - {id: t1, name: 一班, supervisor: a2}\n"
    problem = only_problem(text)
    assert problem.line == 20
    assert "team 't1' supervisor: unknown agent 'a2'" in problem.message


def test_references_may_point_forward_in_the_file() -> None:
    text = BASE + "teams:\n  - {id: t1, name: 一班, supervisor: a1}\n"
    text = text.replace("{id: a1,", "{id: a1, team: t1,")
    assert parse_center(text, "c.yaml").agent("a1").team == "t1"


# time zones -------------------------------------------------------------------------------


def test_unknown_center_time_zone_suggests_a_real_one() -> None:
    problem = only_problem("timezone: Asia/Tokio\n" + BASE)
    assert problem.line == 1
    assert "unknown time zone 'Asia/Tokio' (did you mean 'Asia/Tokyo'?)" in problem.message


def test_unknown_calendar_time_zone_is_reported() -> None:
    text = BASE.replace("  - id: office\n", "  - id: office\n    timezone: Mars/Olympus\n")
    problem = only_problem(text)
    assert problem.line == 5
    assert "calendar 'office' timezone: unknown time zone 'Mars/Olympus'" in problem.message


def test_unknown_holiday_country_is_reported() -> None:
    text = BASE.replace("  - id: office\n", "  - id: office\n    holiday_country: JA\n")
    problem = only_problem(text)
    assert problem.line == 5
    assert "holiday_country 'JA'" in problem.message


# duplicates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("addition", "kind", "first"),
    [
        ("  - {id: a1, name: 田中}\n", "agent", 18),
        ("  - {id: a2, name: 田中, extension: '100'}\n", "extension", 18),
    ],
)
def test_duplicate_agent_ids_and_extensions_name_the_first(
    addition: str, kind: str, first: int
) -> None:
    text = BASE.replace("orders: 3}}", "orders: 3}, extension: '100'}") + addition
    problem = only_problem(text)
    assert problem.line == 19
    assert f"duplicate {kind} id" in problem.message
    assert f"(first defined at line {first})" in problem.message


def test_duplicate_queue_and_skill_ids_are_each_reported() -> None:
    text = BASE.replace("  - id: orders\n", "  - id: general\n").replace(
        "  - {id: orders}\n", "  - {id: general}\n"
    )
    found = problems_of(text)
    assert [(p.line, p.message.split(" (")[0].split(";")[0]) for p in found] == [
        (8, "duplicate skill id 'general'"),
        (14, "duplicate queue id 'general'"),
        (16, "queue 'general' skills: unknown skill 'orders'"),
        (18, "agent 'a1' skills: unknown skill 'orders'"),
    ]


def test_the_same_number_on_two_tenants_is_a_duplicate() -> None:
    text = BASE.replace(
        "  - {id: acme, name: エーシーエム}\n",
        "  - {id: acme, name: エーシーエム, numbers: ['0120-000-111']}\n"
        "  - {id: beta, name: ベータ, numbers: ['0120-000-111']}\n",
    )
    problem = only_problem(text)
    assert problem.line == 3
    assert "duplicate number id '0120-000-111' (first defined at line 2)" in problem.message


# hours -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ('"18:00-09:00"', "ends before it starts"),
        ('"09:00-09:00"', "ends before it starts"),
        ('"09:00-25:00"', "past 24:00"),
        ('"24:00-24:00"', "past 24:00"),
        ('"09:00-12:30, 12:00-18:00"', "overlap"),
        ('["09:00-18:00", "17:00-20:00"]', "overlap"),
        ('"9時-18時"', "not a time"),
        ('"09:75-18:00"', "minutes go from 00 to 59"),
        ('"09:00"', "not an hours range"),
    ],
)
def test_impossible_hours_are_reported_at_their_line(hours: str, expected: str) -> None:
    text = BASE.replace('weekly: {mon-fri: "09:00-18:00"}', f"weekly:\n      sat: {hours}")
    problem = only_problem(text)
    assert problem.line == 6
    assert expected in problem.message


def test_a_day_given_twice_in_the_weekly_hours_is_reported() -> None:
    text = BASE.replace(
        'weekly: {mon-fri: "09:00-18:00"}',
        'weekly:\n      mon-fri: "09:00-18:00"\n      fri: "09:00-20:00"',
    )
    problem = only_problem(text)
    assert problem.line == 7
    assert "fri is given twice ('fri' here and 'mon-fri' at line 6)" in problem.message


def test_unknown_day_name_is_reported() -> None:
    text = BASE.replace("mon-fri", "mon-fry")
    problem = only_problem(text)
    assert problem.line == 5
    assert "'mon-fry' is not a day" in problem.message


def test_japanese_day_names_and_24h_are_understood() -> None:
    text = BASE.replace(
        'weekly: {mon-fri: "09:00-18:00"}', 'weekly: {月-金: "9:00〜18:00", 土: 24h, 日: closed}'
    )
    calendar = parse_center(text, "c.yaml").calendar("office")
    assert calendar.weekly[0][0].start == 9 * 60
    assert calendar.weekly[5][0].end == 24 * 60
    assert calendar.weekly[6] == ()


@pytest.mark.parametrize(
    ("closure", "expected"),
    [
        ("{from: 2026-12-29, to: 2026-12-01}", "ends (2026-12-01) before it starts"),
        ('{from: "02-30", to: "03-01"}', "month 2 has no day 30"),
        ("{from: 2026-13-01, to: 2026-12-31}", "not a date"),
        ("{date: 2026-08-14, to: 2026-08-15}", "either 'date' or 'from' and 'to'"),
        ("{from: 2026-08-14}", "needs 'from' and 'to'"),
    ],
)
def test_bad_closures_are_reported(closure: str, expected: str) -> None:
    text = BASE.replace(
        '    weekly: {mon-fri: "09:00-18:00"}\n',
        f'    weekly: {{mon-fri: "09:00-18:00"}}\n    closures:\n      - {closure}\n',
    )
    problem = only_problem(text)
    assert problem.line == 7
    assert expected in problem.message


def test_special_day_given_twice_is_reported() -> None:
    text = BASE.replace(
        '    weekly: {mon-fri: "09:00-18:00"}\n',
        '    weekly: {mon-fri: "09:00-18:00"}\n    special_days:\n'
        '      - {date: 2026-12-28, hours: "09:00-15:00"}\n'
        "      - {date: 2026-12-28, hours: closed}\n",
    )
    problem = only_problem(text)
    assert problem.line == 8
    assert "special day 2026-12-28 given twice (first at line 7)" in problem.message


# numbers and targets -----------------------------------------------------------------------


@pytest.mark.parametrize("level", ["0", "11", "-3"])
def test_proficiency_outside_one_to_ten_is_reported(level: str) -> None:
    text = BASE.replace("general: 5,", f"general: {level},")
    problem = only_problem(text)
    assert problem.line == 18
    assert "proficiency" in problem.message
    assert "outside 1–10" in problem.message


def test_queue_minimum_proficiency_outside_one_to_ten_is_reported() -> None:
    text = BASE.replace("skills: {orders: 2}", "skills: {orders: 12}")
    problem = only_problem(text)
    assert problem.line == 16
    assert "queue 'orders' skill 'orders' minimum proficiency is 12, outside 1–10" in str(problem)


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ('"80-20"', "is not a service level"),
        ('"120/20"', "outside 1–100%"),
        ('"80/0"', "more than 0"),
        ("{fraction: 1.5, seconds: 20}", "outside 0–1"),
        ("{fraction: 0.8}", "'seconds' is missing"),
        ("{fraction: 0.8, seconds: 20, within: 3}", "unknown key 'within'"),
    ],
)
def test_bad_service_levels_are_reported(level: str, expected: str) -> None:
    text = BASE.replace("    hours: office\n", f"    hours: office\n    service_level: {level}\n")
    problem = only_problem(text)
    assert problem.line == 14
    assert expected in problem.message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_wait", "-30"),
        ("after_contact_work", "-1m"),
        ("offer_timeout", '"-5s"'),
    ],
)
def test_negative_times_are_reported(key: str, value: str) -> None:
    text = BASE.replace("    hours: office\n", f"    hours: office\n    {key}: {value}\n")
    if key == "max_wait":
        text = text.replace(
            f"    {key}: {value}\n", f"    {key}: {value}\n    overflow: voicemail\n"
        )
    problem = only_problem(text)
    assert problem.line == 14
    assert "is negative" in problem.message


def test_negative_aging_and_zero_max_size_are_reported() -> None:
    text = BASE.replace(
        "    hours: office\n", "    hours: office\n    aging_per_minute: -1\n    max_size: 0\n"
    )
    found = problems_of(text)
    assert [p.line for p in found] == [14, 15]
    assert "times cannot be negative" in found[0].message
    assert "max_size is 0, must be at least 1" in found[1].message


def test_voice_capacity_above_one_is_reported() -> None:
    text = BASE.replace("orders: 3}}", "orders: 3}, capacity: {voice: 2, chat: 3}}")
    problem = only_problem(text)
    assert problem.line == 18
    assert "voice is exclusive" in problem.message


def test_agent_with_no_capacity_at_all_is_reported() -> None:
    text = BASE.replace("orders: 3}}", "orders: 3}, capacity: {voice: 0}}")
    assert "could take nothing" in only_problem(text).message


# overflow ----------------------------------------------------------------------------------


def test_overflow_loop_is_reported_on_each_queue_of_the_loop() -> None:
    text = BASE.replace(
        "    hours: office\n",
        "    hours: office\n    max_wait: 60\n    overflow: {action: queue, target: orders}\n",
    ).replace(
        "    skills: {orders: 2}\n",
        "    skills: {orders: 2}\n    max_wait: 60\n"
        "    overflow: {action: queue, target: general}\n",
    )
    found = problems_of(text)
    assert [p.line for p in found] == [15, 20]
    assert "loops back: general → orders → general" in found[0].message


def test_overflow_needs_max_wait_and_max_wait_needs_overflow() -> None:
    text = BASE.replace(
        "    hours: office\n", "    hours: office\n    overflow: voicemail\n"
    ).replace("    skills: {orders: 2}\n", "    skills: {orders: 2}\n    max_wait: 60\n")
    found = problems_of(text)
    assert [p.line for p in found] == [14, 18]
    assert "overflow needs max_wait" in found[0].message
    assert "max_wait needs an overflow" in found[1].message


def test_queue_action_needs_a_target_and_others_take_none() -> None:
    text = BASE.replace(
        "    hours: office\n", "    hours: office\n    when_full: {action: queue}\n"
    ).replace(
        "    skills: {orders: 2}\n",
        "    skills: {orders: 2}\n    when_full: {action: voicemail, target: general}\n",
    )
    found = problems_of(text)
    assert [p.line for p in found] == [14, 18]
    assert "needs a target queue" in found[0].message
    assert "target is only for action: queue" in found[1].message


def test_voicemail_on_a_chat_queue_is_reported() -> None:
    text = BASE.replace(
        "    hours: office\n",
        "    hours: office\n    channels: [chat]\n    when_closed: voicemail\n",
    )
    problem = only_problem(text)
    assert problem.line == 15
    assert "voicemail needs a queue with the voice channel" in problem.message


def test_overflow_to_a_queue_without_the_channel_is_reported() -> None:
    text = BASE.replace(
        "    hours: office\n",
        "    hours: office\n    channels: [chat]\n    max_wait: 60\n"
        "    overflow: {action: queue, target: orders}\n",
    )
    problem = only_problem(text)
    assert problem.line == 16
    assert "queue 'orders' takes no chat contacts" in problem.message


# codes -------------------------------------------------------------------------------------


def test_unknown_disposition_category_and_duplicate_code_are_reported() -> None:
    text = BASE + (
        "dispositions:\n"
        "  - {code: ok, name: 解決, category: resolvd}\n"
        "  - {code: sale, name: 成約, category: sale}\n"
        "  - {code: sale, name: 成約2}\n"
    )
    found = problems_of(text)
    assert [p.line for p in found] == [20, 22]
    assert "category 'resolvd' is not known (did you mean 'resolved'?)" in found[0].message
    assert "duplicate disposition id 'sale' (first defined at line 21)" in found[1].message


# all at once -------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = "timezone: Asia/Tokio\n" + BASE.replace(
        "skills: {orders: 2}", "skills: {order: 2}"
    ).replace('"09:00-18:00"', '"18:00-09:00"').replace("general: 5,", "general: 11,")
    found = problems_of(text)
    assert [(p.filename, p.line) for p in found] == [
        ("c.yaml", 1),
        ("c.yaml", 6),
        ("c.yaml", 17),
        ("c.yaml", 19),
    ]


# robustness --------------------------------------------------------------------------------


def _outcome(text: str, filename: str) -> tuple[bool, list[Problem]]:
    """(loaded, problems): only ConfigError may come out of the loader."""
    try:
        parse_center(text, filename)
    except ConfigError as err:
        return False, err.problems
    return True, []


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_either_loads_or_raises_config_error(text: str) -> None:
    loaded, found = _outcome(text, "fuzz.yaml")
    assert loaded != bool(found)
    assert all(p.line >= 1 for p in found)


_SAMPLE_LINES = sample_center_text().splitlines()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(_SAMPLE_LINES) - 1),
            st.sampled_from(["drop", "dup", "cut", "indent"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_damaged_sample_either_loads_or_reports_lines_inside_the_file(
    edits: list[tuple[int, str]],
) -> None:
    lines = list(_SAMPLE_LINES)
    for index, edit in edits:
        index %= len(lines)
        if edit == "drop":
            del lines[index]
        elif edit == "dup":
            lines.insert(index, lines[index])
        elif edit == "cut":
            lines[index] = lines[index][: len(lines[index]) // 2]
        else:
            lines[index] = "  " + lines[index]
    text = "\n".join(lines) + "\n"
    loaded, found = _outcome(text, "damaged.yaml")
    assert loaded != bool(found)
    assert all(1 <= p.line <= len(lines) + 1 for p in found)


def test_a_tenant_with_a_bad_name_is_reported_once_not_again_at_each_use() -> None:
    text = BASE.replace("{id: acme, name: エーシーエム}", "{id: acme, name: [x]}").replace(
        "    name: 注文\n", "    name: 注文\n    tenant: acme\n"
    )
    problem = only_problem(text)
    assert problem.line == 2
    assert "tenant 'acme' name must be a mapping" in problem.message


def test_an_empty_tenant_list_is_reported() -> None:
    problem = only_problem("tenants: []\n")
    assert (problem.line, problem.message) == (
        1,
        "tenants: list at least one company the center serves",
    )


def test_pure_python_and_libyaml_parsers_report_the_same_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from madoguchi.core import config_loader

    bad = (
        "timezone: Asia/Tokio\n"
        + BASE.replace("skills: {orders: 2}", "skills: {order: 2}").replace("general: 5,", "x: 5,")
        + "teams:\n  - {id: t1, name: 一班, supervisor: a2}\nbroken: [\n"
    )
    texts = [bad, bad.replace("broken: [\n", ""), sample_center_text()]
    fast = [_outcome(t, "c.yaml") for t in texts]
    monkeypatch.setattr(config_loader, "_SAFE_LOADER", yaml.SafeLoader)
    slow = [_outcome(t, "c.yaml") for t in texts]
    assert [p.line for p in slow[0][1]] == [p.line for p in fast[0][1]] == [23]  # wording differs
    assert slow[1:] == fast[1:]
    assert fast[2] == (True, [])
    assert len(fast[1][1]) == 4
