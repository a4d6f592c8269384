"""Templates written in the config (the subject, the leads) run bounded: a
config can be someone else's, and one line of Jinja could stall every build
or fill memory (issue 23, class 15). The CLI on the shipped examples."""

from __future__ import annotations

import pytest
from conftest import write_config

NOW = "2025-01-02T20:00:00Z"

HOSTILE = [
    ("{{ 'x' * 100000000 }}", "a value over 20,000 characters"),
    ("{% for a in range(9000) %}{% for b in range(9000) %}{% endfor %}{% endfor %}", "more than 200,000 steps"),
    ("{{ ''|center(1000000000) }}", "a width over 10,000 (1000000000)"),
    ("{{ 'a'.ljust(99999999) }}", "a width over 10,000 (99999999)"),
    ("{{ '%999999999s' % 1 }}", "a format width over 10,000"),
    ("{{ '{:>999999999}'.format(1) }}", "a format width over 10,000"),
    ("{{ '%999999999s'|format(1) }}", "a format width over 10,000"),
    ("{{ ('%*d' % (1500000000, 1))|length }}", "a width over 10,000 (1500000000)"),
    ("{{ ('{0:{1[w]}}'.format('x', {'w': 300000000}))|length }}", "a width over 10,000 (300000000)"),
    ("{{ 2 ** 100000000 }}", "a number over 40,000 bits"),
    ("{{ (((10**256)**256)**256)|string|length }}", "a number over 40,000 bits"),
    ("{% set n = 2**1000 %}" + "{% set n = n*n %}" * 20 + "{{ n }}", "a number over 40,000 bits"),
    ("{% set a = 'x' * 20000 %}" + "{% set a = a ~ a %}" * 17 + "{{ a|length }}", "a value over 20,000 characters"),
    ("{{ ('x' * 20000)|replace('x', 'x' * 20000)|length }}", "a value over 20,000 characters"),
    ("{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
     "'namespace' is undefined"),
    ("{{ ('x' * 15000) + ('y' * 15000) }}", "a value over 20,000 characters"),
    # what a template is shown, it may not change: the lead story would go unsent, and never be sent
    ("{{ digest.stories.pop(0).title }}", "access to attribute 'pop' of 'list' object is unsafe."),
]


@pytest.mark.parametrize(("template", "reason"), HOSTILE)
def test_a_hostile_subject_template_is_one_line_and_exit_2(invoke, example_config, template, reason):
    result = invoke("--config", str(example_config), "build", "--now", NOW, "--no-mark-sent", "--subject", template)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: email.subject: {reason}"
    assert result.stdout == ""


@pytest.mark.parametrize(("template", "reason"), [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[10]])
def test_a_hostile_lead_template_falls_back_to_the_summary(invoke, example_config, template, reason):
    text = example_config.read_text()
    start = text.index("[lead]")
    end = text.index("\n[", start + 1)
    config = write_config(example_config.parent, text[:start] + f"[lead]\ntemplate = '''{template}'''\n" + text[end:],
                          name="hostile.toml")
    result = invoke("--config", str(config), "build", "--now", NOW, "--no-mark-sent", "--format", "text")
    assert result.exit_code == 0, result.stderr
    assert f"lead template failed ({reason}); using the summary instead" in result.stderr
    assert "Kharkiv" in result.stdout and len(result.stdout) < 20_000


@pytest.mark.parametrize(("subject", "shown"), [
    ("{{ title }}: {{ digest.stories|length }} stories, {{ '%-3s'|format('ok') }}{{ 'x' * 3 }}",
     "Morning Brief: 6 stories, ok xxx"),
    ("{{ '{:,}'.format(125000) }} readers, issue {{ '%d'|format(12345) }}, {{ '%d' % 12345 }}",
     "125,000 readers, issue 12345, 12345"),
    ("{{ digest.stories[0].title[:9] ~ ' + more' }} ({{ now.strftime('%Y') }}, {{ 2 ** 10 }})",
     "Rail line + more (2025, 1024)"),
])
def test_ordinary_templates_still_work(invoke, example_config, subject, shown):
    result = invoke("--config", str(example_config), "build", "--now", NOW, "--no-mark-sent", "--subject", subject)
    assert result.exit_code == 0, result.stderr
    assert f"Subject: {shown}" in result.stdout


def test_a_subject_is_one_line_of_at_most_200_characters(invoke, example_config):
    result = invoke("--config", str(example_config), "build", "--now", NOW, "--no-mark-sent", "--format", "json",
                    "--subject", "{{ 'word ' * 3000 }}")
    assert result.exit_code == 0, result.stderr
    import json

    subject = json.loads(result.stdout)["subject"]
    assert len(subject) <= 200 and subject.endswith("word…") and "\n" not in subject
