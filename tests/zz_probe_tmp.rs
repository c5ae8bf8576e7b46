use chrono::{DateTime, Utc, Weekday};
use entitlements::domain::{BusinessClock, Calendar, OpenInterval};
fn iv(o: &str, c: &str) -> OpenInterval {
    OpenInterval {
        open: o.parse().unwrap(),
        close: c.parse().unwrap(),
    }
}
#[test]
fn probe() {
    let cal = Calendar::new(
        "Europe/Berlin",
        vec![(
            Weekday::Sun,
            vec![iv("01:00", "02:15"), iv("02:30", "04:00")],
        )],
        vec![],
    )
    .unwrap();
    let c = BusinessClock::Calendar(&cal);
    let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    println!("is_open 00:45Z {:?}", c.is_open(t("2026-10-25T00:45:00Z")));
    println!(
        "between day {:?}",
        c.between(t("2026-10-24T22:00:00Z"), t("2026-10-25T23:00:00Z"))
    );
    println!(
        "between to 00:50 {:?}",
        c.between(t("2026-10-24T22:00:00Z"), t("2026-10-25T00:50:00Z"))
    );
    for m in [60, 75, 90, 100, 120] {
        println!(
            "add {m} {:?}",
            c.add(
                t("2026-10-24T22:00:00Z"),
                std::time::Duration::from_secs(m * 60)
            )
        );
    }
}
