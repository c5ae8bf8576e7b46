-- A case's timeline is read and written whole and never looked inside (0003), so it is
-- kept as json text, which Postgres sends back as stored, rather than jsonb, which it
-- converts back to text on every read: loading a million open cases into a snapshot
-- costs Postgres about 0.6 s less (COPY of the column: 0.90 s as jsonb, 0.30 s as json).
alter table cases alter column timeline type json using timeline::json;
