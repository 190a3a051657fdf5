-- init.sql: the compose stack's databases and least-privilege roles. The
-- postgres image runs it once, as the superuser, on an empty data
-- directory (/docker-entrypoint-initdb.d); deploy/compose_test.go runs it
-- against a real PostgreSQL with names of its own and checks what each
-- role may do.
--
--   careconnect_migrate  owns the careconnect database and its schema:
--                        `careconnect migrate` (DDL) connects as it.
--   careconnect_app      the api and the worker: reads and writes rows of
--                        the tables careconnect_migrate creates; no DDL.
--   temporal             owns the temporal and temporal_visibility
--                        databases (the schema job and the server); no
--                        access to careconnect's data, nor careconnect to
--                        Temporal's.
--
-- The superuser (POSTGRES_PASSWORD) is for this script only: pg_hba.conf
-- lets nobody reach it over the network.
--
-- Passwords come from the postgres service's environment; names may be
-- given with psql -v (the test does), else these defaults apply.
\set ON_ERROR_STOP on
\getenv app_password CARECONNECT_DB_PASSWORD
\getenv migrate_password CARECONNECT_DB_MIGRATE_PASSWORD
\getenv temporal_password TEMPORAL_DB_PASSWORD
\if :{?app_role}
\else
\set app_role careconnect_app
\endif
\if :{?migrate_role}
\else
\set migrate_role careconnect_migrate
\endif
\if :{?app_db}
\else
\set app_db careconnect
\endif
\if :{?temporal_role}
\else
\set temporal_role temporal
\endif
\if :{?temporal_db}
\else
\set temporal_db temporal
\endif
\if :{?visibility_db}
\else
\set visibility_db temporal_visibility
\endif

CREATE ROLE :"migrate_role" LOGIN PASSWORD :'migrate_password';
CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password';
CREATE ROLE :"temporal_role" LOGIN PASSWORD :'temporal_password';

CREATE DATABASE :"app_db" OWNER :"migrate_role";
CREATE DATABASE :"temporal_db" OWNER :"temporal_role";
CREATE DATABASE :"visibility_db" OWNER :"temporal_role";
-- Only the roles named here connect to each database.
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
REVOKE ALL ON DATABASE :"temporal_db" FROM PUBLIC;
REVOKE ALL ON DATABASE :"visibility_db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"app_db" TO :"app_role";

\connect :"app_db"
ALTER SCHEMA public OWNER TO :"migrate_role";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app_role";
-- Whatever the migrations create, the app may read and write, not alter.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrate_role" IN SCHEMA public
	GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrate_role" IN SCHEMA public
	GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app_role";

\connect :"temporal_db"
ALTER SCHEMA public OWNER TO :"temporal_role";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
\connect :"visibility_db"
ALTER SCHEMA public OWNER TO :"temporal_role";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
