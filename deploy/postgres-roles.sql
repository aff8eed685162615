-- The runtime role of the case store: what the API, the worker and the audit anchor log in as.
-- Run as the role that owns the database (it must be able to create roles), in the database:
--   psql "$OWNER_URL" -v ON_ERROR_STOP=1 -v runtime_role=priorauth_app \
--        -v runtime_password="$APP_DB_RUNTIME_PASSWORD" -f deploy/postgres-roles.sql
-- Idempotent: an existing role keeps its grants and gets the given password.
-- Table privileges come later, from the migration step (`python -m store.migrate` with
-- PRIORAUTH_DATABASE_RUNTIME_ROLE set, or `priorauth db grant-runtime ROLE`), after every
-- migration, so new tables follow the same rule (store/roles.py).

SELECT format(
    'CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS',
    :'runtime_role'
)
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'runtime_role')
\gexec

SELECT format('ALTER ROLE %I WITH LOGIN PASSWORD %L', :'runtime_role', :'runtime_password')
\gexec

-- Nobody but the owner creates objects in the schema (PostgreSQL before 15 lets PUBLIC do so).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database())
\gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'runtime_role')
\gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), current_user)
\gexec
