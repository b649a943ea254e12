"""Email template overrides cannot tie up the processes that render them: size, time and loop
limits, refused on Save and Preview next to the field, and a fallback at send time."""

import html
import logging
import time

import pytest
from django.template import Context, Engine

from directory import changes
from directory.changes import Actor
from directory.models import GroupMembership
from notifications.compose import load_templates, render_content
from notifications.models import EmailTemplate, OutgoingMessage
from notifications.templating import sample_context

TOO_LARGE = "This template produces more than 1 MB (1,000,000 characters)."
TOO_SLOW = "This template takes longer than 2 s to render."
TOO_MANY_LOOPS = "A loop in this template runs more than 10,000 times."
TOO_MANY_ITEMS = "This template builds a list of more than 10,000 items."
X300 = "x" * 300
SLOW = (  # every step within the caps; only the clock stops it (5,000 × wordwrap of 900 kB)
    '{% with s="x "|ljust:"900000" %}{% for i in "' + "x" * 5000 + '" %}'
    "{{ s|wordwrap:1|length }}{% endfor %}{% endwith %}"
)
DOUBLING = (  # each {% with %} doubles the text: 2^40 characters at the end
    '{% with a="xx" %}' + "{% with a=a|add:a %}" * 40 + "{{ a }}" + "{% endwith %}" * 41
)

HOSTILE = {
    "ljust": ('{{ "x"|ljust:"200000000" }}', TOO_LARGE),
    "rjust": ('{{ "x"|rjust:"200000000" }}', TOO_LARGE),
    "center": ('{{ "x"|center:"200000000" }}', TOO_LARGE),
    "nested loops": (
        f'{{% for a in "{X300}" %}}{{% for b in "{X300}" %}}{{% for c in "{X300}" %}}'
        "{{ c }}{% endfor %}{% endfor %}{% endfor %}",
        TOO_MANY_LOOPS,
    ),
    "loop output": (
        '{% with s="x"|ljust:"9000" %}{% for c in s %}{{ s }}{% endfor %}{% endwith %}',
        TOO_LARGE,
    ),
    "big join": (
        f'{{% with s="x"|ljust:"5000" %}}{{{{ "{X300}"|join:s }}}}{{% endwith %}}',
        TOO_LARGE,
    ),
    "join of a long list": ('{{ "x"|ljust:"900000"|make_list|join:"," }}', TOO_MANY_ITEMS),
    "widthratio as a width": ('{% widthratio 10 1 20000000 as w %}{{ "x"|ljust:w }}', TOO_LARGE),
    "stringformat": ('{{ 1|stringformat:"0200000000d" }}', TOO_LARGE),
    "floatformat": ('{{ 1|floatformat:"200000000" }}', TOO_LARGE),
    "add doubling": (DOUBLING, TOO_LARGE),
    "addslashes doubling": ('{{ "\\\\"' + "|addslashes" * 40 + " }}", TOO_LARGE),
    "repeated variable": (
        '{% with s="x"|ljust:"600000" %}{{ s }}{{ s }}{{ s }}{% endwith %}',
        TOO_LARGE,
    ),
    "lorem": ("{% lorem 100000000 w %}", "Invalid block tag on line 1: 'lorem'"),
    "debug": ("{% debug %}", "Invalid block tag on line 1: 'debug'"),
    "deep nesting": ("{% if 1 %}" * 500 + "{% endif %}" * 500, "nests tags too deeply"),
    "division by zero": ("{{ 5|divisibleby:0 }}", "cannot be rendered: integer modulo by zero"),
    "unknown filter argument": ("{{ 1|add:nothing }}", "Unknown variable in a filter argument"),
    "slow": (SLOW, TOO_SLOW),
}

FORM = {"kind": "any", "language": "en", "subject": "Hi", "body_text": "Body", "body_html": ""}


def editor(store):
    return f"/identity-stores/{store.pk}/email-templates/new/"


def field_errors(page: str, field: str) -> str:
    return html.unescape(page.split(f'id="field-{field}"')[1].split("</div>")[0])


@pytest.mark.parametrize("action", [{}, {"preview": "1"}], ids=["save", "preview"])
@pytest.mark.parametrize("name", HOSTILE)
def test_it_refuses_a_hostile_template_next_to_the_field(alice_client, contoso, name, action):
    source, message = HOSTILE[name]
    started = time.monotonic()
    response = alice_client.post(editor(contoso), {**FORM, "body_text": source, **action})
    assert time.monotonic() - started < 10
    assert response.status_code == 200
    page = response.content.decode()
    assert message in field_errors(page, "body_text")
    assert 'id="preview-subject"' not in page
    assert not EmailTemplate.objects.exists()


def test_it_refuses_an_html_preview_that_the_text_body_makes_too_large(alice_client, contoso):
    text = "x\n" * 300_000  # 600 kB of text; as HTML each line ends in <br>: 1.5 MB
    page = alice_client.post(
        editor(contoso), {**FORM, "body_text": text, "preview": "1"}
    ).content.decode()
    assert TOO_LARGE in field_errors(page, "body_html")


@pytest.fixture
def club(make_object, contoso_mail):
    contoso_mail.notify_modified_object = True
    contoso_mail.save()
    group = make_object("group", "Book Club", "", security_type="public")
    for name in ("Ann", "Ben"):
        member = make_object("user", name, f"{name.lower()}@contoso.test")
        GroupMembership.objects.create(group=group, member=member)
    return group


@pytest.mark.parametrize("name", ["ljust", "nested loops", "add doubling", "slow"])
def test_a_hostile_template_saved_before_the_limits_sends_the_default_text(
    contoso, club, alice, caplog, name
):
    source, message = HOSTILE[name]
    EmailTemplate.objects.create(  # straight into the database, as before the limits
        store=contoso, kind="any", language="en", subject="Evil", body_text=source
    )
    started = time.monotonic()
    changes.update_attributes(club, Actor(alice), name="Readers")
    assert time.monotonic() - started < 10
    message_row = OutgoingMessage.objects.get()
    assert message_row.subject == "[Contoso AD] Attributes changed: Readers"
    assert "alice made a change in Contoso AD." in message_row.body_text
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert failures == [
        f"Email template override of store {contoso.pk} failed "
        f"(template {EmailTemplate.objects.get().pk}), default text sent: {message}"
    ]


def test_an_override_over_the_limits_is_not_rendered_again_until_edited(
    contoso, club, alice, caplog
):
    template = EmailTemplate.objects.create(
        store=contoso, kind="any", language="en", subject="Evil", body_text=HOSTILE["slow"][0]
    )
    changes.update_attributes(club, Actor(alice), name="Readers")
    started = time.monotonic()
    changes.update_attributes(club, Actor(alice), name="Readers 2")
    assert time.monotonic() - started < 1.5  # the second change skips the slow override
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    template.subject, template.body_text = "Fixed {{ object.name }}", "Fine"
    template.save()
    changes.update_attributes(club, Actor(alice), name="Readers 3")
    assert OutgoingMessage.objects.filter(subject="Fixed Readers 3").exists()


NORMAL = [
    "{% for c in changes %}{{ forloop.counter }}. {{ c.field|upper }}: {{ c.old|default:'-' }}"
    " → {{ c.new|ljust:12 }}|{% empty %}none{% endfor %}",
    "{% with n=object.name %}{{ n|center:30 }}{{ n|truncatechars:5 }}{% endwith %}"
    "{% widthratio 3 4 100 %}% {{ 3.14159|floatformat:2 }} {{ 7|stringformat:'05d' }}",
    "{% if member %}{{ member.name|add:'!' }}{% elif requester %}x{% else %}y{% endif %}"
    "{{ changes|length }} {{ 'a,b'|make_list|join:'-' }} {% cycle 'odd' 'even' %}",
    "{% filter upper %}{{ store.name }}{% endfilter %}{% spaceless %}<p> <b>x</b> </p>"
    "{% endspaceless %}{% now 'Y' as year %}{{ event.when|wordwrap:10 }}",
]


@pytest.mark.parametrize("source", NORMAL)
@pytest.mark.parametrize("html_part", [False, True])
def test_normal_templates_render_as_with_django_s_own_engine(source, html_part):
    from notifications.templating import render

    context = sample_context()
    expected = Engine().from_string(source).render(Context(context, autoescape=html_part))
    assert render(source, context, html=html_part) == expected


def test_the_default_templates_render_as_with_django_s_own_engine():
    context = sample_context()
    ours = render_content(load_templates("change"), context)
    stock = {part: Engine().from_string(t.source) for part, t in load_templates("change").items()}
    theirs = render_content(stock, context)
    assert ours == theirs
    assert "Contoso AD" in ours.subject
