#!/bin/sh
# docker-compose app-db, first start only (/docker-entrypoint-initdb.d): create the runtime role
# the API, the worker and the audit anchor log in as. For a volume created before this script
# existed, run the same once by hand:
#   docker compose exec -e APP_DB_RUNTIME_PASSWORD app-db sh /docker-entrypoint-initdb.d/10-runtime-role.sh
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v runtime_role="${APP_DB_RUNTIME_ROLE:-priorauth_app}" \
  -v runtime_password="$APP_DB_RUNTIME_PASSWORD" \
  -f /deploy/postgres-roles.sql
