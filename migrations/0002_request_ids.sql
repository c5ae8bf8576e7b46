-- The first answer to each mutating request that carried a request_id (AIP-155), kept
-- 24 hours so that a retry on any replica returns it instead of writing again. A
-- successful write inserts its row in the write's own transaction; a refusal (an error
-- that decided something, e.g. ALREADY_EXISTS) is recorded on its own.
create table request_ids (
    request_id uuid primary key,
    -- the full gRPC method, e.g. /entitlements.v1.AccountService/CreateAccount
    method text not null,
    -- sha-256 of the request message: the same id on a different request is refused
    fingerprint bytea not null,
    -- the response message, when the first attempt succeeded
    response bytea,
    -- the error, when it failed: grpc code, message and google.rpc.Status details
    error_code integer,
    error_message text,
    error_details bytea,
    created_at timestamptz not null default now(),
    check ((response is null) <> (error_code is null))
);

create index request_ids_created_at on request_ids (created_at);
