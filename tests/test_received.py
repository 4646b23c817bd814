"""Received headers as real MTAs write them, and as hostile senders forge them."""

import pytest

from analyzer.extract.received import parse_received, parse_received_chain

POSTFIX = (
    "from mail-wr1-f54.google.com (mail-wr1-f54.google.com [209.85.221.54])\n"
    "\tby mx.example.org (Postfix) with ESMTPS id 4F3B1C0123\n"
    "\tfor <bob@example.org>; Tue, 14 Mar 2023 10:00:02 +0100 (CET)"
)
GMAIL_SUBMISSION = (
    "from Bens-MBP ([2605:a601:a0c6:4f00::1]) by smtp.gmail.com with ESMTPSA id "
    "x12sm123456wrs.45.2023.03.14.01.59.58 for <bob@example.org> (version=TLS1_3 "
    "cipher=TLS_AES_256_GCM_SHA384 bits=256/256); Tue, 14 Mar 2023 01:59:59 -0700 (PDT)"
)
EXIM = (
    "from [203.0.113.7] (helo=laptop.home) by mail.example.net with esmtpsa (TLS1.3) "
    "tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <A@example.net>) "
    "id 1pc2Ab-0003Xy-2Q; Tue, 14 Mar 2023 01:59:59 -0700"
)
EXCHANGE_IPV6 = (
    "from DM6PR11MB4657.namprd11.prod.outlook.com (2603:10b6:5:1a0::12) by "
    "BN6PR11MB1234.namprd11.prod.outlook.com (2603:10b6:404:4a::18) with Microsoft SMTP "
    "Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.5986.19; "
    "Tue, 14 Mar 2023 08:59:59 +0000"
)
QMAIL = (
    "from unknown (HELO mail.x.com) (198.51.100.4) by mx.y.com with SMTP; "
    "14 Mar 2023 10:00:00 -0000"
)
SENDMAIL_1996 = (
    "from deliverator.sgi.com (deliverator.sgi.com [150.166.91.37]) by cthulhu.engr.sgi.com "
    "(950413.SGI.8.6.12/960327.SGI.AUTOCF) via ESMTP id RAA28513 for "
    "<linux-list@cthulhu.engr.sgi.com>; Sat, 18 May 1996 17:14:35 -0700"
)
NETSCAPE_NO_SEMICOLON = (
    "from navstar1.mcom.com ([205.217.251.46]) by hedgehog.mcom.com (Netscape Mail Server "
    "v1.1) with ESMTP id AAA29011 for <atzet@netscape.com> Sun, 21 Jul 1996 16:59:17 -0700"
)
GMAIL_INTERNAL = (
    "by 2002:a05:6a10:a8c4:b0:4f1:2c3::1 with SMTP id abc123; Tue, 14 Mar 2023 01:59:59 -0700"
)


def test_postfix_hop_splits_helo_reverse_host_and_ip():
    hop = parse_received(POSTFIX)
    assert (hop.from_helo, hop.from_host, hop.from_ip) == (
        "mail-wr1-f54.google.com",
        "mail-wr1-f54.google.com",
        "209.85.221.54",
    )
    assert (hop.by_host, hop.protocol, hop.tls, hop.smtp_id) == (
        "mx.example.org",
        "ESMTPS",
        True,
        "4F3B1C0123",
    )
    assert hop.for_addr == "bob@example.org"
    assert hop.timestamp_utc == 1678784402.0 and hop.tz_offset_min == 60


def test_gmail_submission_exposes_the_laptop_name_and_its_ipv6_address():
    hop = parse_received(GMAIL_SUBMISSION)
    assert hop.from_helo == "Bens-MBP"
    assert hop.from_ip == "2605:a601:a0c6:4f00::1"
    assert hop.from_host is None
    assert hop.protocol == "ESMTPSA" and hop.tls is True


def test_exim_puts_helo_in_the_comment():
    hop = parse_received(EXIM)
    assert (hop.from_helo, hop.from_ip, hop.by_host) == (
        "laptop.home",
        "203.0.113.7",
        "mail.example.net",
    )
    assert hop.envelope_from == "a@example.net"
    assert hop.protocol == "ESMTPSA" and hop.tls is True


def test_exchange_hop_with_bare_ipv6_in_parentheses():
    hop = parse_received(EXCHANGE_IPV6)
    assert hop.from_ip == "2603:10b6:5:1a0::12"
    assert hop.by_host == "bn6pr11mb1234.namprd11.prod.outlook.com"
    assert hop.tls is True


def test_qmail_helo_and_unknown_offset():
    hop = parse_received(QMAIL)
    assert (hop.from_helo, hop.from_host, hop.from_ip) == ("mail.x.com", None, "198.51.100.4")
    assert hop.tz_offset_min is None  # -0000
    assert hop.tls is False


def test_old_sendmail_via_clause_and_date_without_semicolon():
    assert parse_received(SENDMAIL_1996).protocol == "ESMTP"
    hop = parse_received(NETSCAPE_NO_SEMICOLON)
    assert hop.from_ip == "205.217.251.46"
    assert hop.timestamp_utc == 837993557.0
    assert hop.for_addr == "atzet@netscape.com"


def test_hop_without_from_clause():
    hop = parse_received(GMAIL_INTERNAL)
    assert hop.parsed and hop.from_ip is None and hop.by_host.startswith("2002:")


def test_keyword_inside_hostname_or_comment_does_not_split_clauses():
    hop = parse_received(
        "from derby.example (nearby.example [192.0.2.9] (from the by way)) by mx.with.example "
        "with SMTP id 1; Tue, 14 Mar 2023 10:00:00 +0000"
    )
    assert (hop.from_helo, hop.from_ip, hop.by_host) == (
        "derby.example",
        "192.0.2.9",
        "mx.with.example",
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "(qmail 1234 invoked by uid 89); 14 Mar 2023 10:00:00 -0000",
        "garbage without structure",
        "from ((((((((( by ))))) with ;;;;",
        "from " + "(" * 5000 + " by x",
        "from [999.999.999.999] by x; Tue, 14 Mar 2023 10:00:00 +0000",
        "",
    ],
)
def test_unparseable_hops_are_kept_with_their_raw_text(hostile):
    hop = parse_received(hostile)
    assert hop.raw == " ".join(hostile.split())
    assert hop.from_ip is None


def test_chain_is_numbered_from_the_oldest_hop():
    newest_first = [POSTFIX, GMAIL_SUBMISSION]
    hops = parse_received_chain(newest_first)
    assert [h.hop for h in hops] == [0, 1]
    assert hops[0].from_helo == "Bens-MBP"  # nearest the sender
    assert hops[1].by_host == "mx.example.org"


LAYOUT_SAMPLES = [
    POSTFIX,
    GMAIL_SUBMISSION,
    EXCHANGE_IPV6,
    QMAIL,
    SENDMAIL_1996,
    GMAIL_INTERNAL,
    'from mail-lf1-f66.google.com ([209.85.167.66]:40632 "EHLO mail-lf1-f66.google.com" '
    "rhost-flags-OK-OK-OK-OK) by vger.kernel.org with ESMTP id S1726330AbfIRGpg (ORCPT "
    "<rfc822;linux-mips@vger.kernel.org>); Wed, 18 Sep 2019 02:45:36 -0400",
    "from lists.example.net ([192.0.2.216]:34713 helo=lists.example.net) by mx.example.net "
    "with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from "
    "<netdev-bounces@lists.example.net>) id 1SivS8-000f9Y-tw for carlos@example.net; "
    "Tue, 14 Mar 2023 10:00:00 +0000",
    "from [203.0.113.225] (helo=neko.example.jp) by mail4.example.org with esmtp (Exim 3.22) "
    "id 00Neko-000000-00 for postmaster@example.org; Thu, 29 Apr 2005 23:34:45 +0000",
    "from [192.0.2.163] (helo=[127.0.0.1]) by relay.example.fr with esmtpsa (TLS1.3) tls "
    "TLS_AES_256_GCM_SHA384 (Exim 4.96) id 18whJT-000gau-A2; Tue, 14 Mar 2023 10:00:00 +0100",
    "from out15-200.antispamcloud.com (out15-200.antispamcloud.com [185.201.19.200]) (using "
    "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) (No client certificate "
    "requested) by mx.example.org (Postfix) with ESMTPS id 4F3B; Tue, 14 Mar 2023 10:00:02 +0100",
    "(from majordomo-owner@localhost) by cthulhu.engr.sgi.com (980427.SGI.8.8.8/970903.SGI.AUTOCF) "
    "id LAA31722 for linux-list; Sun, 17 May 1998 11:22:45 -0700 (PDT)",
    "from mx.example.org by imap.example.org with LMTP id uBUj6SMLsYzRHWtEi4spGQ "
    "(envelope-from <w@example.org>) for <bob@example.org>; Tue, 1 Jan 2019 02:10:11 +0100 (CET)",
    "from mx100.example.com (HELO smtpd-2.example.com) ([203.0.113.203]) by r1.example.com "
    "with ESMTP; 17 Jul 2017 23:34:45 +0000",
    "from haiyuewa-mobl.example.com (HELO [10.255.31.18]) ([10.255.31.18]) by fm7.example.com "
    "with ESMTP; 26 Jul 2019 10:04:51 -0700",
]


@pytest.mark.parametrize("header", LAYOUT_SAMPLES)
def test_fast_layouts_agree_with_the_clause_splitter(header):
    from analyzer.extract.received import parse_fast, parse_general

    raw = " ".join(header.split())
    fast = parse_fast(raw)
    assert fast is not None, "a layout this common should take the fast path"
    assert fast == parse_general(raw)
