-- Tracked cases (CaseService). The timeline is one jsonb document: it is always read
-- and written whole and evaluated in memory, and no query looks inside it. The columns
-- are what the store selects on: open cases (loaded into every server's snapshot) and
-- resolved ones (read through on demand), each in name order.
create table cases (
    -- Deleting an account deletes its cases.
    account_id text not null references accounts (id) on delete cascade,
    id text not null,
    external_reference text not null default '',
    timeline jsonb not null,
    resolved_at timestamptz,
    revision bigint not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (account_id, id)
);

create index cases_open on cases (account_id, id) where resolved_at is null;
create index cases_resolved on cases (account_id, id) where resolved_at is not null;

-- Case writes are logged like every other entity, so every server's snapshot follows.
alter table change_log drop constraint change_log_entity_check;
alter table change_log add constraint change_log_entity_check
    check (entity in ('plan', 'calendar', 'account', 'contract', 'case'));
