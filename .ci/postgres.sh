#!/usr/bin/env bash
# Start the machine's PostgreSQL 15 cluster and create the role and database the
# store conformance suite uses. Idempotent: safe to run any number of times.
# Run as root (CI image). Afterwards run:
#   ONBEHALF_TEST_POSTGRES='postgres://onbehalf:onbehalf@127.0.0.1:5432/onbehalf_test?sslmode=disable' \
#     go test ./store/...
# Each test creates and drops its own schema inside onbehalf_test, so runs don't collide.
set -euo pipefail

# Start the cluster unless it is already online.
if ! pg_lsclusters --no-header | awk '$1 == "15" && $2 == "main" {print $4}' | grep -q online; then
  pg_ctlcluster --skip-systemctl-redirect 15 main start
fi

# Wait (bounded) until the server accepts connections.
for _ in $(seq 1 30); do
  if su postgres -c "pg_isready -q -h 127.0.0.1 -p 5432"; then break; fi
  sleep 1
done
su postgres -c "pg_isready -h 127.0.0.1 -p 5432"

# Test role (SUPERUSER only so tests may create schemas freely; test-only credentials).
if [ "$(su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'onbehalf'\"")" != "1" ]; then
  su postgres -c "psql -v ON_ERROR_STOP=1 -c \"CREATE ROLE onbehalf LOGIN PASSWORD 'onbehalf' SUPERUSER\""
fi

# Test database owned by the role.
if [ "$(su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'onbehalf_test'\"")" != "1" ]; then
  su postgres -c "createdb -O onbehalf onbehalf_test"
fi

# Tests only: skip waiting for the WAL flush on commit in this database (the
# suite makes many small commits; crash durability of test rows is moot).
su postgres -c "psql -v ON_ERROR_STOP=1 -qc \"ALTER DATABASE onbehalf_test SET synchronous_commit = off\""

export ONBEHALF_TEST_POSTGRES="postgres://onbehalf:onbehalf@127.0.0.1:5432/onbehalf_test?sslmode=disable"
echo "ONBEHALF_TEST_POSTGRES=$ONBEHALF_TEST_POSTGRES"
