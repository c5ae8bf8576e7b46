//! Postgres as the source of truth, through the real server: the designated-contact
//! limit under 50 concurrent adds, two server processes on one database (a write through
//! one is visible through the other within a bound, and at once with the consistency
//! token), and an outage of a throwaway cluster of our own (initdb on a free port) while
//! calls are running: reads go on from the snapshot, writes fail UNAVAILABLE with
//! RetryInfo, the write services turn NOT_SERVING and recover by themselves, and nothing
//! acknowledged is lost.
//!
//! One module per part: writes.rs (one server's writes under contention: the contact
//! limit and a write blocked by a lock), replicas.rs (two servers on one database: a
//! retry on the other replica, visibility within a bound and with the token), cases.rs
//! (tracked cases across replicas), outages.rs (the throwaway cluster and the outages);
//! the seed, requests and health check they share are in helpers.rs.

#[path = "../common/mod.rs"]
mod common;

mod helpers;

mod cases;
mod group_commit;
mod outages;
mod replicas;
mod writes;
