"""The outbound destination policy itself: which addresses and spellings are refused, and the
operator's allow and deny lists. Literal addresses only: nothing here is looked up in DNS or
connected to."""

import ipaddress

import pytest
from django.core.exceptions import ImproperlyConfigured

from core import destination_rules
from core.destinations import DestinationRefused, check

REFUSED = [
    "169.254.169.254",
    "fe80::1",
    "fd00:ec2::254",
    "100.100.100.200",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:a9fe:a9fe",  # the same, in hex
    "64:ff9b::169.254.169.254",  # NAT64, well-known prefix
    "64:ff9b:1:a9fe:a9:fe00::",  # NAT64 local-use prefix, /48 layout (RFC 6052)
    "64:ff9b:1::a9fe:a9fe",  # NAT64 local-use prefix, /96 layout
    "2002:a9fe:a9fe::1",  # 6to4
    "2852039166",  # 169.254.169.254 as one integer
    "0251.0376.0251.0376",  # … in octal
    "0xa9fea9fe",  # … in hex
    "0.0.0.0",
    "::",
    "224.0.0.1",
]


@pytest.mark.parametrize("host", REFUSED)
def test_it_refuses_link_local_metadata_and_reserved_addresses_in_every_spelling(host):
    with pytest.raises(DestinationRefused, match="link-local, cloud metadata or reserved"):
        check(host, 25)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "10.1.2.3", "192.168.0.25", "2001:db8::25"])
def test_it_allows_loopback_and_private_servers_by_default(host):
    assert check(host, 25) == [ipaddress.ip_address(host)]


def test_it_returns_nothing_for_a_name_that_does_not_resolve():
    assert check("smtp!.contoso.test", 25) == []


def test_denied_networks_cover_the_ipv4_mapped_spelling(settings):
    settings.DIRMGR_DESTINATIONS_DENIED = ["127.0.0.0/8"]
    for host in ("127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::7f00:1"):
        with pytest.raises(DestinationRefused, match="DIRMGR_DESTINATIONS_DENIED"):
            check(host, 25)
    assert check("::1", 25)


def test_denied_entries_may_name_a_port_or_a_domain(settings):
    settings.DIRMGR_DESTINATIONS_DENIED = ["10.0.0.0/8:6379", "*.internal.test"]
    assert check("10.0.0.5", 25)
    with pytest.raises(DestinationRefused):
        check("10.0.0.5", 6379)
    with pytest.raises(DestinationRefused):  # refused by name, resolving or not
        check("redis.internal.test", 25)


def test_an_allowed_list_refuses_everything_else(settings):
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["10.0.0.0/8:25", "[2001:db8::/32]:587"]
    assert check("10.9.9.9", 25)
    assert check("2001:db8::1", 587)
    for host, port in (("10.9.9.9", 587), ("127.0.0.1", 25), ("2001:db8::1", 25)):
        with pytest.raises(DestinationRefused, match="DIRMGR_DESTINATIONS_ALLOWED"):
            check(host, port)


def test_an_allowed_name_does_not_open_the_metadata_address(settings):
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["169.254.169.254", "0.0.0.0/0"]
    with pytest.raises(DestinationRefused, match="link-local"):
        check("169.254.169.254", 80)


def test_allowed_names_decide_even_before_the_name_resolves(settings):
    settings.DIRMGR_DESTINATIONS_ALLOWED = ["smtp.office365.com:587"]
    with pytest.raises(DestinationRefused):
        check("smtp!.contoso.test", 587)


def test_it_parses_rules():
    assert destination_rules.parse_rule("10.0.0.0/8:25").port == 25
    assert destination_rules.parse_rule("[2001:db8::/32]:587").port == 587
    assert destination_rules.parse_rule("2001:db8::/32").port is None
    assert destination_rules.parse_rule("SMTP.office365.com.:587").host == "smtp.office365.com"
    with pytest.raises(ImproperlyConfigured):
        destination_rules.parse_rule("smtp.office365.com:smtp")
