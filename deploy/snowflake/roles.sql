-- assetflow on Snowflake: least-privilege roles, users and grants.
--
-- Two service users, two roles:
--   ASSETFLOW_PROD_SVC   / ASSETFLOW_PROD    owns and writes PRODUCTION; reaps stale clones.
--   ASSETFLOW_BRANCH_SVC / ASSETFLOW_BRANCH  creates, writes and drops its PRODUCTION_CLONE_<PR> databases,
--                                            reads PRODUCTION only as far as cloning needs, and cannot write it.
--
-- Run it once as ACCOUNTADMIN (or a role with USERADMIN, SECURITYADMIN and SYSADMIN), after replacing the two
-- placeholders <BRANCH_PUBLIC_KEY> and <PROD_PUBLIC_KEY> with each user's public key: the lines between
-- -----BEGIN PUBLIC KEY----- and -----END PUBLIC KEY----- of rsa_key.pub, joined (see README, "Snowflake").
-- Every statement is idempotent; run it again after adding a schema to PRODUCTION.
-- Then check from CI:  ASSETFLOW_ENV=branch DAGSTER_CLOUD_PULL_REQUEST_ID=1 run env --check

-- 1. Roles. Custom roles go under SYSADMIN, as Snowflake recommends: SYSADMIN inherits them, never the reverse.
USE ROLE USERADMIN;
CREATE ROLE IF NOT EXISTS ASSETFLOW_PROD COMMENT = 'assetflow production: owns and writes PRODUCTION';
CREATE ROLE IF NOT EXISTS ASSETFLOW_BRANCH COMMENT = 'assetflow branch deployments: PRODUCTION_CLONE_<PR> only, reads PRODUCTION to clone it';
USE ROLE SECURITYADMIN;
GRANT ROLE ASSETFLOW_PROD TO ROLE SYSADMIN;
GRANT ROLE ASSETFLOW_BRANCH TO ROLE SYSADMIN;
-- Production inherits the branch role, so the reap_stale_clones job (prod) can drop clones the branch role owns.
-- The branch role inherits nothing.
GRANT ROLE ASSETFLOW_BRANCH TO ROLE ASSETFLOW_PROD;

-- 2. A warehouse to run on.
USE ROLE SYSADMIN;
CREATE WAREHOUSE IF NOT EXISTS ASSETFLOW_WH WAREHOUSE_SIZE = XSMALL AUTO_SUSPEND = 60 AUTO_RESUME = TRUE INITIALLY_SUSPENDED = TRUE;
GRANT USAGE ON WAREHOUSE ASSETFLOW_WH TO ROLE ASSETFLOW_PROD;
GRANT USAGE ON WAREHOUSE ASSETFLOW_WH TO ROLE ASSETFLOW_BRANCH;

-- 3. PRODUCTION and its schema, owned by the production role: it creates, replaces and drops the tables.
CREATE DATABASE IF NOT EXISTS PRODUCTION;
CREATE SCHEMA IF NOT EXISTS PRODUCTION.HACKER_NEWS;
USE ROLE SECURITYADMIN;
GRANT OWNERSHIP ON DATABASE PRODUCTION TO ROLE ASSETFLOW_PROD COPY CURRENT GRANTS;
GRANT OWNERSHIP ON SCHEMA PRODUCTION.HACKER_NEWS TO ROLE ASSETFLOW_PROD COPY CURRENT GRANTS;
GRANT OWNERSHIP ON ALL TABLES IN SCHEMA PRODUCTION.HACKER_NEWS TO ROLE ASSETFLOW_PROD COPY CURRENT GRANTS;

-- 4. The branch role: clones are new databases it creates, so it owns them and may write and drop them, and no
-- other database. clone_prod builds each clone from objects the branch role creates (CREATE DATABASE, CREATE SCHEMA,
-- CREATE TABLE ... CLONE per table), because a whole-database clone would keep PRODUCTION's owners on the clone's
-- schemas and tables and the branch role could not write them. A table clone needs only SELECT on the source, so on
-- PRODUCTION the branch role gets read privileges only (USAGE to see it, SELECT on its tables; a table it cannot
-- read is not cloned); the check (run env --check) refuses to run a branch deployment whose role holds anything more.
GRANT CREATE DATABASE ON ACCOUNT TO ROLE ASSETFLOW_BRANCH;
GRANT USAGE ON DATABASE PRODUCTION TO ROLE ASSETFLOW_BRANCH;
GRANT USAGE ON ALL SCHEMAS IN DATABASE PRODUCTION TO ROLE ASSETFLOW_BRANCH;
GRANT USAGE ON FUTURE SCHEMAS IN DATABASE PRODUCTION TO ROLE ASSETFLOW_BRANCH;
GRANT SELECT ON ALL TABLES IN SCHEMA PRODUCTION.HACKER_NEWS TO ROLE ASSETFLOW_BRANCH;
GRANT SELECT ON FUTURE TABLES IN SCHEMA PRODUCTION.HACKER_NEWS TO ROLE ASSETFLOW_BRANCH;

-- 5. Service users that sign in with a key pair only (TYPE = SERVICE: no password, no MFA prompt). Secondary roles
-- are off, so a session has its one role's privileges and nothing the user might be granted later.
USE ROLE USERADMIN;
CREATE USER IF NOT EXISTS ASSETFLOW_PROD_SVC TYPE = SERVICE DEFAULT_ROLE = ASSETFLOW_PROD DEFAULT_WAREHOUSE = ASSETFLOW_WH DEFAULT_SECONDARY_ROLES = () RSA_PUBLIC_KEY = '<PROD_PUBLIC_KEY>';
CREATE USER IF NOT EXISTS ASSETFLOW_BRANCH_SVC TYPE = SERVICE DEFAULT_ROLE = ASSETFLOW_BRANCH DEFAULT_WAREHOUSE = ASSETFLOW_WH DEFAULT_SECONDARY_ROLES = () RSA_PUBLIC_KEY = '<BRANCH_PUBLIC_KEY>';
USE ROLE SECURITYADMIN;
GRANT ROLE ASSETFLOW_PROD TO USER ASSETFLOW_PROD_SVC;
GRANT ROLE ASSETFLOW_BRANCH TO USER ASSETFLOW_BRANCH_SVC;
