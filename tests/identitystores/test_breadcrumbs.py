"""Every page of an identity store opens with the same trail: Identity Stores › store › section
› … › the page, the last one marked as the current page."""

import re

import pytest
from django.urls import reverse

TRAILS = [
    ("identitystores:edit", ["Identity Stores"], "Contoso AD"),
    ("identitystores:configurations", ["Identity Stores", "Contoso AD"], "Configurations"),
    ("notifications:settings", ["Identity Stores", "Contoso AD", "Configurations"],
     "Notifications"),
    ("ldapsync:connection", ["Identity Stores", "Contoso AD"], "Directory connection"),
    ("directory:list", ["Identity Stores", "Contoso AD"], "Directory"),
    ("notifications:email_templates", ["Identity Stores", "Contoso AD", "Directory"],
     "Email templates"),
    ("notifications:email_template_create",
     ["Identity Stores", "Contoso AD", "Directory", "Email templates"], "New override"),
    ("lifecycle:schedules", ["Identity Stores", "Contoso AD"], "Schedules"),
    ("lifecycle:temporary_memberships", ["Identity Stores", "Contoso AD", "Temporary changes"],
     "Temporary memberships"),
    ("lifecycle:temporary_managed_by", ["Identity Stores", "Contoso AD", "Temporary changes"],
     "Temporary owners and managers"),
    ("notifications:outbox", ["Identity Stores", "Contoso AD"], "Outbox"),
    ("identitystores:history", ["Identity Stores", "Contoso AD"], "History"),
]  # fmt: skip


def trail(html: str) -> tuple[list[str], str]:
    """The links and the current page of the page's breadcrumb trail."""
    [nav] = re.findall(r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', html, re.S)
    links = re.findall(r'<li><a href="[^"]*">([^<]*)</a></li>', nav)
    [current] = re.findall(r'<li aria-current="page">([^<]*)</li>', nav)
    return links, current


@pytest.mark.parametrize(("name", "links", "current"), TRAILS)
def test_every_store_page_has_the_same_trail(alice_client, contoso, name, links, current):
    html = alice_client.get(reverse(name, args=[contoso.pk])).content.decode()
    assert trail(html) == (links, current)


def test_an_object_page_ends_with_the_objects_name(alice_client, contoso, make_object):
    ann = make_object("user", "Ann Lee", "ann@contoso.test")
    html = alice_client.get(reverse("directory:object", args=[contoso.pk, ann.pk])).content
    assert trail(html.decode()) == (["Identity Stores", "Contoso AD", "Directory"], "Ann Lee")


def test_the_links_lead_to_the_pages_they_name(alice_client, contoso):
    html = alice_client.get(reverse("notifications:settings", args=[contoso.pk])).content.decode()
    assert f'<a href="{reverse("identitystores:configurations", args=[contoso.pk])}">' in html
    assert f'<a href="{reverse("identitystores:edit", args=[contoso.pk])}">Contoso AD' in html
