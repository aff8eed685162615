"""The case store: sqlmodel tables, sessions, Alembic migrations and repository functions.

PostgreSQL in production, a SQLite file by default. Table classes (`store.tables`) never leave
this package: repository functions take a `Session` plus keyword-only arguments and return the
domain models (`domain.models`) or the small DTOs of `store.records`. They never commit, so a
caller can put a whole state transition in one unit of work (`store.database.transaction`).

Modules: `database` (engines, sessions, transactions), `migrate` (`upgrade`), `cases`,
`decisions`, `deadlines`, `appeals`, `letters`, `tasks`, `contacts`, `queries` (listing and
search), `audit` (the hash-chained audit trail), `payer_directory` (payers, their channels and
PA rules), `errors`, `records`, and `scratch` (throwaway
PostgreSQL databases for tests and benchmarks). See docs/store.md.
"""
