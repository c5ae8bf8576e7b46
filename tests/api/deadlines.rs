//! SlaService.ComputeDeadline and BatchComputeDeadlines.

use crate::helpers::*;

// ---------------------------------------------------------------------------------------
// SlaService.ComputeDeadline
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn deadlines_premium_continuous() {
    let server = TestServer::start_demo().await;
    use pb::Clock::Continuous;
    use pb::Priority::{P1, P2, P3, P4};
    let open = "2026-06-05T22:00:00Z";

    // P1 first response 30min, 24x7: 22:00 + 30min.
    let d = deadline(&server, first_response("acme", P1, open)).await;
    assert_due(
        &d,
        "2026-06-05T22:30:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    // P1 update every 12h from the last response 22:20: 2026-06-06 10:20.
    let d = deadline(
        &server,
        next_update("acme", P1, open, "2026-06-05T22:20:00Z"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-06T10:20:00Z",
        Continuous,
        12 * HOUR,
        acme_2026(),
    );
    // P2 first response 2h: 22:00 + 2h = 00:00 the next day (a Saturday: 24x7 anyway).
    let d = deadline(&server, first_response("acme", P2, open)).await;
    assert_due(
        &d,
        "2026-06-06T00:00:00Z",
        Continuous,
        2 * HOUR,
        acme_2026(),
    );
    // P2 update every 24h.
    let d = deadline(
        &server,
        next_update("acme", P2, open, "2026-06-06T00:00:00Z"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-07T00:00:00Z",
        Continuous,
        24 * HOUR,
        acme_2026(),
    );

    // Pause 22:10-22:40: 10min counted before it, 20min after it: 22:40 + 20min = 23:00.
    let mut r = first_response("acme", P1, open);
    r.pauses = vec![pause("2026-06-05T22:10:00Z", Some("2026-06-05T22:40:00Z"))];
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-05T23:00:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    // Overlapping pauses count once: 22:10-22:30 and 22:20-22:40 are one pause 22:10-22:40.
    let mut r = first_response("acme", P1, open);
    r.pauses = vec![
        pause("2026-06-05T22:20:00Z", Some("2026-06-05T22:40:00Z")),
        pause("2026-06-05T22:10:00Z", Some("2026-06-05T22:30:00Z")),
    ];
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-05T23:00:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    // A pause that has not ended, beginning before the target is used up: no due time.
    let mut r = first_response("acme", P1, open);
    r.pauses = vec![pause("2026-06-05T22:10:00Z", None)];
    let d = deadline(&server, r).await;
    assert!(d.has_target);
    assert_eq!(d.due_time, None);
    assert_eq!(d.clock, Continuous as i32);
    assert_eq!(d.target, osecs(30 * MIN));
    // A pause beginning exactly when the target is used up: due at the pause's start.
    let mut r = first_response("acme", P1, open);
    r.pauses = vec![pause("2026-06-05T22:30:00Z", None)];
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-05T22:30:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );

    // P3 and P4 have no targets in the built-in plans: an explicit "no target" under the
    // contract that was effective.
    let d = deadline(&server, first_response("acme", P3, open)).await;
    assert_no_target(&d, acme_2026());
    let d = deadline(&server, next_update("acme", P4, open, open)).await;
    assert_no_target(&d, acme_2026());

    // The contract is the one effective at open_time: opened 2026-12-31 23:50Z under
    // acme/2026, due 2027-01-01 00:20Z although acme/2027 is in force by then.
    let d = deadline(&server, first_response("acme", P1, "2026-12-31T23:50:00Z")).await;
    assert_due(
        &d,
        "2027-01-01T00:20:00Z",
        Continuous,
        30 * MIN,
        acme_2026(),
    );
    server.stop().await;
}

#[tokio::test]
async fn deadlines_extended_new_york() {
    let server = TestServer::start_demo().await;
    use pb::Clock::{BusinessHours, Continuous};
    use pb::Priority::{P1, P2};

    // P1 is 24x7 (2h): Saturday 2026-06-06 15:00Z + 2h, weekend or not.
    let d = deadline(
        &server,
        first_response("globex", P1, "2026-06-06T15:00:00Z"),
    )
    .await;
    assert_due(&d, "2026-06-06T17:00:00Z", Continuous, 2 * HOUR, globex());
    // P1 update 24h continuous, straight across Thanksgiving.
    let d = deadline(
        &server,
        next_update(
            "globex",
            P1,
            "2026-11-25T15:00:00-05:00",
            "2026-11-25T15:00:00-05:00",
        ),
    )
    .await;
    assert_due(
        &d,
        "2026-11-26T15:00:00-05:00",
        Continuous,
        24 * HOUR,
        globex(),
    );

    // P2 first response 8h on `americas` (Mon-Fri 08:00-18:00 New York).
    // Friday 2026-06-05 16:00 EDT: 2h to 18:00, then Monday 08:00 + 6h = 14:00 EDT.
    let d = deadline(
        &server,
        first_response("globex", P2, "2026-06-05T16:00:00-04:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-08T14:00:00-04:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    // Across the closed date: Wednesday 2026-11-25 15:00 EST: 3h to 18:00; Thursday
    // 2026-11-26 is Thanksgiving (closed); Friday 08:00 + 5h = 13:00 EST.
    let d = deadline(
        &server,
        first_response("globex", P2, "2026-11-25T15:00:00-05:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-11-27T13:00:00-05:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    assert!(
        d.explanation.contains("2026-11-26"),
        "the skipped closed date is shown back: {}",
        d.explanation
    );
    // Used up exactly at closing: Monday 10:00 + 8h = 18:00 EDT, not Tuesday 08:00.
    let d = deadline(
        &server,
        first_response("globex", P2, "2026-06-08T10:00:00-04:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-08T18:00:00-04:00",
        BusinessHours,
        8 * HOUR,
        globex(),
    );
    // P2 update every 48h of business time from Monday 2026-06-08 09:00 EDT:
    // Mon 9h (09-18) + Tue 10h + Wed 10h + Thu 10h = 39h; Fri 08:00 + 9h = 17:00 EDT.
    let d = deadline(
        &server,
        next_update(
            "globex",
            P2,
            "2026-06-08T08:00:00-04:00",
            "2026-06-08T09:00:00-04:00",
        ),
    )
    .await;
    assert_due(
        &d,
        "2026-06-12T17:00:00-04:00",
        BusinessHours,
        48 * HOUR,
        globex(),
    );
    server.stop().await;
}

#[tokio::test]
async fn deadlines_standard_seoul_with_lunch_break() {
    let server = TestServer::start_demo().await;
    use pb::Clock::BusinessHours;
    use pb::Priority::{P1, P2};
    // `apac`: Mon-Fri 09:00-12:00 and 13:00-18:00 Seoul (8h a day), UTC+9, no DST.

    // P1 first response 8h from Monday 2026-06-08 10:00: 10-12 (2h) + 13-18 (5h) = 7h;
    // Tuesday 09:00 + 1h = 10:00.
    let d = deadline(
        &server,
        first_response("initech", P1, "2026-06-08T10:00:00+09:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-09T10:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    // Opened at 09:00: 09-12 (3h) + 13-18 (5h) = 8h, used up exactly at the 18:00 close.
    let d = deadline(
        &server,
        first_response("initech", P1, "2026-06-08T09:00:00+09:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-08T18:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    // Opened in the lunch break 12:15: counting starts 13:00; 13-18 (5h); Tuesday 09-12
    // (3h) = 8h exactly at the 12:00 lunch closing, not at 13:00.
    let d = deadline(
        &server,
        first_response("initech", P1, "2026-06-08T12:15:00+09:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-06-09T12:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );
    // With a pause 10:00-14:00 from a 09:00 opening: 09-10 (1h), paused, 14-18 (4h) = 5h;
    // Tuesday 09-12 (3h) = 8h at 12:00.
    let mut r = first_response("initech", P1, "2026-06-08T09:00:00+09:00");
    r.pauses = vec![pause(
        "2026-06-08T10:00:00+09:00",
        Some("2026-06-08T14:00:00+09:00"),
    )];
    let d = deadline(&server, r).await;
    assert_due(
        &d,
        "2026-06-09T12:00:00+09:00",
        BusinessHours,
        8 * HOUR,
        initech(),
    );

    // P2 first response 24h across Christmas 2026-12-25 (closed): Thursday 2026-12-24
    // 09:00: Thu 8h; Fri closed; weekend; Mon 12-28 8h (16h); Tue 12-29 8h (24h) at 18:00.
    let d = deadline(
        &server,
        first_response("initech", P2, "2026-12-24T09:00:00+09:00"),
    )
    .await;
    assert_due(
        &d,
        "2026-12-29T18:00:00+09:00",
        BusinessHours,
        24 * HOUR,
        initech(),
    );
    assert!(d.explanation.contains("2026-12-25"), "{}", d.explanation);

    // P1 update every 24h from the last response Wednesday 2026-06-10 15:00:
    // Wed 15-18 (3h), Thu 8h (11h), Fri 8h (19h), Mon 09-12 (22h), 13:00 + 2h = 15:00.
    let d = deadline(
        &server,
        next_update(
            "initech",
            P1,
            "2026-06-10T09:00:00+09:00",
            "2026-06-10T15:00:00+09:00",
        ),
    )
    .await;
    assert_due(
        &d,
        "2026-06-15T15:00:00+09:00",
        BusinessHours,
        24 * HOUR,
        initech(),
    );
    // P2 update every 72h = 9 business days of 8h from Monday 2026-06-08 09:00:
    // Mon-Fri (40h), Mon 15 - Thu 18 (32h) = 72h at Thursday 2026-06-18 18:00.
    let d = deadline(
        &server,
        next_update(
            "initech",
            P2,
            "2026-06-08T09:00:00+09:00",
            "2026-06-08T09:00:00+09:00",
        ),
    )
    .await;
    assert_due(
        &d,
        "2026-06-18T18:00:00+09:00",
        BusinessHours,
        72 * HOUR,
        initech(),
    );
    server.stop().await;
}

#[tokio::test]
async fn deadlines_without_contract_and_errors() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::Priority::P1;

    // Opened before initech/main starts (2026-03-01), or after umbrella/old ended: no
    // contract in force at open_time, so no target, and no ContractRef.
    let d = deadline(
        &server,
        first_response("initech", P1, "2026-02-15T10:00:00+09:00"),
    )
    .await;
    assert_no_target(&d, None);
    let d = deadline(
        &server,
        first_response("umbrella", P1, "2026-06-01T10:00:00Z"),
    )
    .await;
    assert_no_target(&d, None);

    // NEXT_UPDATE needs last_response_time.
    let mut r = next_update("acme", P1, "2026-06-01T10:00:00Z", "2026-06-01T10:00:00Z");
    r.last_response_time = None;
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "last_response_time");
    // ... not before open_time.
    let r = next_update("acme", P1, "2026-06-01T10:00:00Z", "2026-06-01T09:00:00Z");
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "last_response_time");
    // PRIORITY_UNSPECIFIED.
    let r = first_response("acme", pb::Priority::Unspecified, "2026-06-01T10:00:00Z");
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "priority");
    // MILESTONE_UNSPECIFIED.
    let mut r = first_response("acme", P1, "2026-06-01T10:00:00Z");
    r.milestone = pb::Milestone::Unspecified as i32;
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "milestone");
    // open_time is required.
    let mut r = first_response("acme", P1, "2026-06-01T10:00:00Z");
    r.open_time = None;
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "open_time");
    // A pause that ends before it starts.
    let mut r = first_response("acme", P1, "2026-06-01T10:00:00Z");
    r.pauses = vec![pause("2026-06-01T11:00:00Z", Some("2026-06-01T10:30:00Z"))];
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_invalid_field(&e, "pauses[0].end_time");
    // Unknown account: NOT_FOUND.
    let r = first_response("nope", P1, "2026-06-01T10:00:00Z");
    let e = client.compute_deadline(r).await.unwrap_err();
    assert_status(&e, Code::NotFound);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------
// SlaService.BatchComputeDeadlines
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn batch_deadlines_order_and_limit() {
    let server = TestServer::start_demo().await;
    let mut client = server.sla();
    use pb::Priority::{P1, P2, P3};
    let items = vec![
        // initech P1 from Monday 10:00 Seoul: Tuesday 10:00 (see the Seoul test).
        first_response("initech", P1, "2026-06-08T10:00:00+09:00"),
        // acme P1: 22:00Z + 30min.
        first_response("acme", P1, "2026-06-05T22:00:00Z"),
        // globex P2 from Friday 16:00 New York: Monday 14:00.
        first_response("globex", P2, "2026-06-05T16:00:00-04:00"),
        // No target.
        first_response("acme", P3, "2026-06-05T22:00:00Z"),
    ];
    // A fixed evaluate_time (at_risk and the echoed instant depend on it), so that each
    // single call below answers exactly like its batch item.
    let items: Vec<_> = items
        .into_iter()
        .map(|r| pb::ComputeDeadlineRequest {
            evaluate_time: ots("2026-06-05T22:10:00Z"),
            ..r
        })
        .collect();
    let resp = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: items.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .responses;
    assert_eq!(resp.len(), 4);
    assert_due(
        &resp[0],
        "2026-06-09T10:00:00+09:00",
        pb::Clock::BusinessHours,
        8 * HOUR,
        initech(),
    );
    assert_due(
        &resp[1],
        "2026-06-05T22:30:00Z",
        pb::Clock::Continuous,
        30 * MIN,
        acme_2026(),
    );
    assert_due(
        &resp[2],
        "2026-06-08T14:00:00-04:00",
        pb::Clock::BusinessHours,
        8 * HOUR,
        globex(),
    );
    assert_no_target(&resp[3], acme_2026());
    for (item, answer) in items.iter().zip(&resp) {
        assert_eq!(&deadline(&server, item.clone()).await, answer);
    }

    // Empty in, empty out; 1000 is allowed, 1001 is not.
    let r = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(r.responses.is_empty());
    let r = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: vec![items[0].clone(); 1000],
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.responses.len(), 1000);
    let e = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: vec![items[0].clone(); 1001],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests");

    // An invalid item names its index.
    let mut bad = next_update("acme", P1, "2026-06-05T22:00:00Z", "2026-06-05T22:00:00Z");
    bad.last_response_time = None;
    let e = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: vec![items[0].clone(), bad, items[1].clone()],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests[1].last_response_time");
    let e = client
        .batch_compute_deadlines(pb::BatchComputeDeadlinesRequest {
            requests: vec![
                items[0].clone(),
                items[1].clone(),
                first_response("acme", pb::Priority::Unspecified, "2026-06-05T22:00:00Z"),
            ],
        })
        .await
        .unwrap_err();
    assert_invalid_field(&e, "requests[2].priority");
    server.stop().await;
}
