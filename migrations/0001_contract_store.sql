-- The contract store: plans, calendars, accounts, contracts with their designated
-- contacts, obligation completions and revisions, and the change log that keeps every
-- server's in-memory snapshot current (LISTEN/NOTIFY on channel entitlements_changes).
-- Domain values without relational meaning (priority terms, weekly hours, overrides) are
-- jsonb; everything an invariant depends on is a column with a constraint.

create extension if not exists btree_gist;

create table plans (
    id text primary key,
    display_name text not null,
    built_in boolean not null default false,
    benefits text[] not null,
    terms jsonb not null,
    designated_contact_limit integer not null check (designated_contact_limit >= 0),
    revision bigint not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table calendars (
    id text primary key,
    display_name text not null,
    time_zone text not null,
    weekly_hours jsonb not null,
    closed_dates jsonb not null,
    special_dates jsonb not null,
    revision bigint not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table accounts (
    id text primary key,
    display_name text not null,
    time_zone text not null,
    calendar_id text references calendars (id) on delete restrict,
    revision bigint not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table contracts (
    -- An account is deleted only once its contracts are all terminated; the store deletes
    -- those first, so a live contract makes the delete fail here.
    account_id text not null references accounts (id) on delete restrict,
    id text not null,
    plan_id text not null references plans (id) on delete restrict,
    start_at timestamptz not null,
    end_at timestamptz,
    state text not null check (state in ('active', 'suspended', 'terminated')),
    terminated_at timestamptz,
    -- The rest of the contract (overrides, TAM, ...) as the domain serialises it; designated
    -- contacts live in their own table.
    doc jsonb not null,
    extra_designated_contacts integer not null default 0 check (extra_designated_contacts >= 0),
    version bigint not null,
    -- The period in which the contract can be in force: [start, min(end, termination)),
    -- empty for a contract terminated before it started.
    effective tstzrange generated always as (
        case
            when terminated_at is not null and terminated_at <= start_at then 'empty'::tstzrange
            else tstzrange(start_at, least(end_at, terminated_at))
        end
    ) stored,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (account_id, id),
    constraint contracts_period_valid check (end_at is null or end_at > start_at),
    -- At most one contract of an account is in force at any instant.
    constraint contracts_no_overlap exclude using gist (account_id with =, effective with &&)
);

create table designated_contacts (
    account_id text not null,
    contract_id text not null,
    email text not null,
    display_name text not null,
    position integer not null,
    added_at timestamptz not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (account_id, contract_id, email),
    foreign key (account_id, contract_id) references contracts (account_id, id) on delete cascade
);

-- Designated contacts never exceed the plan's limit plus the contract's extra contacts,
-- even under concurrent adds: the check locks the contract row, so adds to one contract
-- are serialised.
create function designated_contacts_within_limit() returns trigger
language plpgsql as $$
declare
    contact_limit integer;
    held integer;
begin
    select p.designated_contact_limit + c.extra_designated_contacts into contact_limit
    from contracts c join plans p on p.id = c.plan_id
    where c.account_id = new.account_id and c.id = new.contract_id
    for update of c;
    select count(*) into held from designated_contacts
    where account_id = new.account_id and contract_id = new.contract_id;
    if held >= contact_limit then
        raise exception 'designated contact limit of % reached', contact_limit
            using errcode = 'P0001', constraint = 'designated_contacts_limit';
    end if;
    return new;
end;
$$;

create trigger designated_contacts_limit
before insert on designated_contacts
for each row execute function designated_contacts_within_limit();

create table obligation_completions (
    account_id text not null,
    contract_id text not null,
    kind text not null,
    completed_at timestamptz not null,
    note text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (account_id, contract_id, kind, completed_at),
    foreign key (account_id, contract_id) references contracts (account_id, id) on delete cascade
);

create table contract_revisions (
    account_id text not null,
    contract_id text not null,
    version bigint not null,
    principal text not null,
    action text not null,
    before jsonb,
    after jsonb not null,
    created_at timestamptz not null,
    updated_at timestamptz not null default now(),
    primary key (account_id, contract_id, version),
    foreign key (account_id, contract_id) references contracts (account_id, id) on delete cascade
);

-- One row per committed write; its id is the consistency token a write returns.
create table change_log (
    id bigserial primary key,
    entity text not null check (entity in ('plan', 'calendar', 'account', 'contract')),
    key text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create function notify_change() returns trigger
language plpgsql as $$
begin
    perform pg_notify('entitlements_changes', new.id::text);
    return new;
end;
$$;

create trigger change_log_notify
after insert on change_log
for each row execute function notify_change();
