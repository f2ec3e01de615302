//! Classification against messages shaped like those real mail clients and servers produce.

use super::*;

fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

fn kind(text: &str) -> Kind {
    classify(&crlf(text)).expect("parses").kind
}

const GMAIL_REPLY: &str = r#"MIME-Version: 1.0
Date: Mon, 1 Mar 2027 11:02:13 +0100
References: <first.1@sender.test> <snd_abc.2@sender.test>
In-Reply-To: <snd_abc.2@sender.test>
Message-ID: <CAF=reply-1@mail.gmail.com>
Subject: Re: Quick question
From: Ada Lovelace <Ada@Example.test>
To: Sales Team <sales@sender.test>
Content-Type: multipart/alternative; boundary="000000000000b1c2"

--000000000000b1c2
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Hi,

Sounds interesting =E2=80=94 can we talk on Thursday?

Ada

On Mon, Mar 1, 2027 at 10:00 AM Sales Team <sales@sender.test>
wrote:

> Hi Ada,
> Would you have ten minutes this week?
>

--000000000000b1c2
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Hi,<br><br>Sounds interesting =E2=80=94 can we talk on Thursday?<br><br>Ada</div>

--000000000000b1c2--
"#;

#[test]
fn a_gmail_reply_is_a_reply_with_its_ids_and_new_text() {
    let classified = classify(&crlf(GMAIL_REPLY)).unwrap();

    assert_eq!(
        classified.kind,
        Kind::Reply {
            preview: "Hi, Sounds interesting — can we talk on Thursday? Ada".to_owned()
        }
    );
    assert_eq!(
        classified.message_id.as_deref(),
        Some("CAF=reply-1@mail.gmail.com")
    );
    assert_eq!(
        classified.in_reply_to.as_deref(),
        Some("snd_abc.2@sender.test")
    );
    assert_eq!(
        classified.references,
        ["first.1@sender.test", "snd_abc.2@sender.test"]
    );
    assert_eq!(
        classified.referenced_ids(),
        ["snd_abc.2@sender.test", "first.1@sender.test"]
    );
    assert_eq!(classified.from.as_deref(), Some("ada@example.test"));
    assert_eq!(classified.subject.as_deref(), Some("Re: Quick question"));
}

const OUTLOOK_REPLY: &str = r#"From: "Brown, Grace" <grace.brown@corp.test>
To: "sales@sender.test" <sales@sender.test>
Subject: RE: Pricing for Corp
Date: Tue, 2 Mar 2027 09:15:00 +0000
Message-ID: <DB9PR01MB1234.eurprd01.prod.outlook.com>
Accept-Language: en-GB
Content-Language: en-US
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: 7bit

Thanks, not for us this year.
Please remove me from your list.

--
Grace Brown | Head of Procurement | Corp

From: Sales Team <sales@sender.test>
Sent: Monday, March 1, 2027 10:00 AM
To: Brown, Grace <grace.brown@corp.test>
Subject: Pricing for Corp

Hi Grace, ...
"#;

#[test]
fn an_outlook_reply_without_threading_headers_keeps_only_the_text_above_the_signature() {
    let classified = classify(&crlf(OUTLOOK_REPLY)).unwrap();

    assert_eq!(
        classified.kind,
        Kind::Reply {
            preview: "Thanks, not for us this year. Please remove me from your list.".to_owned()
        }
    );
    assert_eq!(classified.in_reply_to, None);
    assert!(classified.references.is_empty());
    assert_eq!(classified.from.as_deref(), Some("grace.brown@corp.test"));
}

#[test]
fn an_outlook_header_block_ends_the_new_text() {
    let text = "Yes, Friday works.\n\nFrom: Sales Team <sales@sender.test>\nSent: Monday\nTo: Grace\n\nOld text";
    assert_eq!(new_text(text), "Yes, Friday works.");
    let german = "Passt.\n\nVon: Sales Team\nGesendet: Montag\nAn: Grace\n\nAlt";
    assert_eq!(new_text(german), "Passt.");
    let forwarded_line = "From: the team we spoke about, nobody else.";
    assert_eq!(new_text(forwarded_line), forwarded_line);
}

#[test]
fn the_preview_is_cut_at_the_preview_length_on_a_character_boundary() {
    let long = "é".repeat(500);
    let preview = new_text(&long);
    assert_eq!(preview.chars().count(), PREVIEW_CHARS);
    let quoted = "> old\nnew line\n> more old\nend";
    assert_eq!(new_text(quoted), "new line end");
}

const EXCHANGE_OUT_OF_OFFICE: &str = r#"From: Grace Brown <grace.brown@corp.test>
To: Sales Team <sales@sender.test>
Subject: Automatic reply: Pricing for Corp
Date: Mon, 1 Mar 2027 10:00:05 +0000
Message-ID: <oof-1@corp.test>
In-Reply-To: <snd_abc.1@sender.test>
References: <snd_abc.1@sender.test>
Auto-Submitted: auto-generated
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: grace.brown@corp.test
Content-Type: text/plain; charset="us-ascii"
MIME-Version: 1.0

I am out of the office until 8 March with limited access to email.
"#;

#[test]
fn an_exchange_out_of_office_is_an_auto_reply() {
    let classified = classify(&crlf(EXCHANGE_OUT_OF_OFFICE)).unwrap();
    assert_eq!(classified.kind, Kind::AutoReply);
    assert_eq!(
        classified.in_reply_to.as_deref(),
        Some("snd_abc.1@sender.test")
    );
}

#[test]
fn automatic_headers_make_an_auto_reply_and_auto_submitted_no_does_not() {
    let cases = [
        ("Auto-Submitted: auto-replied (vacation)", true),
        ("Auto-Submitted: auto-generated; owner-email=a@b.test", true),
        ("Auto-Submitted: no", false),
        ("X-Autoreply: yes", true),
        ("X-Autorespond: Vacation", true),
        ("Precedence: auto_reply", true),
        ("Precedence: bulk", true),
        ("Precedence: junk", true),
        ("Precedence: list", false),
        ("X-Mailer: Thunderbird", false),
    ];
    for (header, automatic) in cases {
        let raw = format!(
            "From: Ada <ada@example.test>\nTo: sales@sender.test\nSubject: Re: Quick question\nMessage-ID: <x@example.test>\n{header}\n\nHello there\n"
        );
        let expected = if automatic {
            Kind::AutoReply
        } else {
            Kind::Reply {
                preview: "Hello there".to_owned(),
            }
        };
        assert_eq!(kind(&raw), expected, "{header}");
    }
}

#[test]
fn out_of_office_subjects_in_several_languages_are_auto_replies() {
    let subjects = [
        "Out of Office: Quick question",
        "Automatic reply: Quick question",
        "AUTO: Grace Brown is out of the office (returning 08/03/2027)",
        "Abwesenheitsnotiz: Kurze Frage",
        "Abwesenheit bis 8. März",
        "Absence : Question rapide",
        "=?UTF-8?Q?R=C3=A9ponse_automatique_:_Question_rapide?=",
        "=?UTF-8?Q?Respuesta_autom=C3=A1tica:_Pregunta?=",
        "Risposta automatica: Domanda",
        "Automatisch antwoord: Vraag",
        "Re: Quick question [Out of Office]",
    ];
    for subject in subjects {
        let raw = format!(
            "From: Grace <grace@corp.test>\nTo: sales@sender.test\nSubject: {subject}\n\nAway.\n"
        );
        assert_eq!(kind(&raw), Kind::AutoReply, "{subject}");
    }
    let human = "From: Grace <grace@corp.test>\nSubject: Re: Your offer\n\nSure.\n";
    assert!(matches!(kind(human), Kind::Reply { .. }));
}

const POSTFIX_HARD_BOUNCE: &str = r#"Return-Path: <>
Received: by mx.sender.test (Postfix) id 4F1A2; Mon,  1 Mar 2027 10:00:03 +0000 (UTC)
Date: Mon,  1 Mar 2027 10:00:03 +0000 (UTC)
From: MAILER-DAEMON@mx.sender.test (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: sales@sender.test
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4F1A2.1614592803/mx.sender.test"
Content-Transfer-Encoding: 8bit
Message-Id: <20270301100003.4F1A2@mx.sender.test>

This is a MIME-encapsulated message.

--4F1A2.1614592803/mx.sender.test
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

This is the mail system at host mx.sender.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<gone@example.test>: host mx.example.test[192.0.2.10] said: 550 5.1.1
    <gone@example.test>: Recipient address rejected: User unknown (in reply to
    RCPT TO command)

--4F1A2.1614592803/mx.sender.test
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.sender.test
X-Postfix-Queue-ID: 4F1A2
X-Postfix-Sender: rfc822; sales@sender.test
Arrival-Date: Mon,  1 Mar 2027 10:00:01 +0000 (UTC)

Final-Recipient: rfc822; Gone@Example.test
Original-Recipient: rfc822;gone@example.test
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.test
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.test>: Recipient address
    rejected: User unknown

--4F1A2.1614592803/mx.sender.test
Content-Description: Undelivered Message
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

Return-Path: <sales@sender.test>
Message-ID: <snd_abc.1@sender.test>
Date: Mon, 1 Mar 2027 10:00:00 +0000
From: Sales Team <sales@sender.test>
To: gone@example.test
Subject: Quick question
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi there

--4F1A2.1614592803/mx.sender.test--
"#;

#[test]
fn a_postfix_report_of_a_failed_recipient_is_a_hard_bounce_of_the_returned_message() {
    let classified = classify(&crlf(POSTFIX_HARD_BOUNCE)).unwrap();
    assert_eq!(
        classified.kind,
        Kind::Bounce {
            hard: true,
            recipient: Some("gone@example.test".to_owned()),
            reason: "550 5.1.1 <gone@example.test>: Recipient address rejected: User unknown"
                .to_owned(),
            original_message_id: Some("snd_abc.1@sender.test".to_owned()),
        }
    );
    assert_eq!(classified.kind.as_str(), "bounce");
}

const DELAYED_WITH_HEADERS_ONLY: &str = r#"From: Mail Delivery Subsystem <mailer-daemon@relay.test>
To: sales@sender.test
Subject: Delivery Status Notification (Delay)
Message-ID: <delay-1@relay.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type="delivery-status"; boundary="zzz"

--zzz
Content-Type: text/plain

Delivery to the following recipient has been delayed: slow@example.test

--zzz
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.test

Final-Recipient: rfc822; slow@example.test
Action: delayed
Status: 4.4.1
Will-Retry-Until: Thu, 4 Mar 2027 10:00:00 +0000

--zzz
Content-Type: text/rfc822-headers

Message-ID: <snd_def.1@sender.test>
From: Sales Team <sales@sender.test>
To: slow@example.test
Subject: Quick question

--zzz--
"#;

#[test]
fn a_delayed_report_is_a_soft_bounce_found_through_the_returned_headers() {
    assert_eq!(
        kind(DELAYED_WITH_HEADERS_ONLY),
        Kind::Bounce {
            hard: false,
            recipient: Some("slow@example.test".to_owned()),
            reason: "delayed (status 4.4.1)".to_owned(),
            original_message_id: Some("snd_def.1@sender.test".to_owned()),
        }
    );
}

const EXCHANGE_NDR: &str = r#"From: postmaster@corp.test
To: sales@sender.test
Date: Mon, 1 Mar 2027 10:00:09 +0000
Subject: Undeliverable: Quick question
Content-Type: multipart/report; report-type=delivery-status;
	boundary="_000_ndr_"
MIME-Version: 1.0
Message-ID: <ndr-77@corp.test>
Auto-Submitted: auto-replied

--_000_ndr_
Content-Type: multipart/alternative; boundary="_002_ndr_"

--_002_ndr_
Content-Type: text/plain; charset="us-ascii"

Your message to nobody@corp.test couldn't be delivered.

--_002_ndr_
Content-Type: text/html; charset="us-ascii"

<html><body><p>Your message couldn't be delivered.</p></body></html>

--_002_ndr_--

--_000_ndr_
Content-Type: message/delivery-status

Reporting-MTA: dns;DB9PR01MB1234.eurprd01.prod.outlook.com
Received-From-MTA: dns;mx.sender.test
Arrival-Date: Mon, 1 Mar 2027 10:00:08 +0000

Original-Recipient: rfc822;nobody@corp.test
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient
 nobody@corp.test not found by SMTP address lookup

--_000_ndr_
Content-Type: message/rfc822

Message-ID: <snd_ghi.1@sender.test>
From: Sales Team <sales@sender.test>
To: <nobody@corp.test>
Subject: Quick question

Hi

--_000_ndr_--
"#;

#[test]
fn an_exchange_report_with_only_an_original_recipient_is_a_hard_bounce() {
    let Kind::Bounce {
        hard,
        recipient,
        reason,
        original_message_id,
    } = kind(EXCHANGE_NDR)
    else {
        panic!("not a bounce");
    };
    assert!(hard);
    assert_eq!(recipient.as_deref(), Some("nobody@corp.test"));
    assert!(
        reason.starts_with("550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@corp.test"),
        "{reason}"
    );
    assert_eq!(
        original_message_id.as_deref(),
        Some("snd_ghi.1@sender.test")
    );
}

fn report(groups: &str) -> String {
    format!(
        "From: MAILER-DAEMON@relay.test\nSubject: report\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n--b\nContent-Type: text/plain\n\nReport\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.test\n\n{groups}\n--b--\n"
    )
}

#[test]
fn the_report_action_and_status_decide_hard_or_soft() {
    let cases = [
        (
            "Final-Recipient: rfc822; a@x.test\nAction: failed\nStatus: 5.2.1\n",
            Some(true),
        ),
        (
            "Final-Recipient: rfc822; a@x.test\nAction: failed\nStatus: 4.2.2\n",
            Some(false),
        ),
        (
            "Final-Recipient: rfc822; a@x.test\nAction: delayed\nStatus: 4.4.7\n",
            Some(false),
        ),
        (
            "Final-Recipient: rfc822; a@x.test\nAction: failed\n",
            Some(true),
        ),
        (
            "Final-Recipient: rfc822; a@x.test\nStatus: 5.0.0\n",
            Some(true),
        ),
        (
            "Final-Recipient: rfc822; a@x.test\nAction: delivered\nStatus: 2.0.0\n",
            None,
        ),
        (
            "Final-Recipient: rfc822; a@x.test\nAction: relayed\nStatus: 2.0.0\n",
            None,
        ),
    ];
    for (group, expected) in cases {
        let verdict = kind(&report(group));
        match (expected, verdict) {
            (
                Some(hard),
                Kind::Bounce {
                    hard: got,
                    recipient,
                    ..
                },
            ) => {
                assert_eq!(got, hard, "{group}");
                assert_eq!(recipient.as_deref(), Some("a@x.test"));
            }
            (None, Kind::AutoReply) => {}
            (expected, verdict) => panic!("{group}: expected {expected:?}, got {verdict:?}"),
        }
    }
}

#[test]
fn a_failed_recipient_wins_over_an_earlier_delayed_one() {
    let groups = "Final-Recipient: rfc822; slow@x.test\nAction: delayed\nStatus: 4.4.1\n\nFinal-Recipient: rfc822; gone@x.test\nAction: failed\nStatus: 5.1.1\n";
    let Kind::Bounce {
        hard, recipient, ..
    } = kind(&report(groups))
    else {
        panic!("not a bounce");
    };
    assert!(hard);
    assert_eq!(recipient.as_deref(), Some("gone@x.test"));
}

#[test]
fn a_notice_from_a_mailer_daemon_that_is_no_report_is_never_a_reply() {
    let raw = "From: Mail Delivery System <MAILER-DAEMON@relay.test>\nSubject: Mail delivery failed\nIn-Reply-To: <snd_abc.1@sender.test>\n\nThe message could not be delivered.\n";
    assert_eq!(kind(raw), Kind::AutoReply);
}

#[test]
fn base_subjects_drop_reply_and_forward_prefixes_in_several_languages() {
    let cases = [
        ("Re: Quick question", "quick question"),
        ("RE: re:  Quick   question ", "quick question"),
        ("Fwd: Re: Quick question", "quick question"),
        ("AW: WG: Kurze Frage", "kurze frage"),
        ("Re[2]: Quick question", "quick question"),
        ("TR: RE: Question", "question"),
        ("Quick question: pricing", "quick question: pricing"),
        ("Question", "question"),
    ];
    for (subject, base) in cases {
        assert_eq!(base_subject(subject), base, "{subject}");
    }
}

#[test]
fn bytes_without_headers_are_not_a_message() {
    assert_eq!(classify(b""), None);
}
