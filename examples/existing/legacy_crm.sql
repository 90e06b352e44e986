-- A small CRM schema as teams often have it after a few years: it works, but it
-- carries the usual smells.  Try:
--   schemawright lint examples/existing/legacy_crm.sql
--   schemawright import examples/existing/legacy_crm.sql -o crm.yaml --roundtrip
--   schemawright docs examples/existing/legacy_crm.sql -o crm-docs

CREATE TABLE accounts (
    id serial PRIMARY KEY,
    name varchar(200) NOT NULL,
    industry varchar(50),
    created timestamp DEFAULT now()
);
COMMENT ON TABLE accounts IS 'A customer company.';

CREATE TABLE contacts (
    id serial PRIMARY KEY,
    account_id integer NOT NULL REFERENCES accounts (id),
    first_name varchar(100),
    last_name varchar(100) NOT NULL,
    email varchar(255),
    phone1 varchar(30),
    phone2 varchar(30),
    phone3 varchar(30)
);

CREATE TABLE deals (
    id serial PRIMARY KEY,
    account_id integer REFERENCES accounts (id),
    owner_id integer,
    title varchar(200) NOT NULL,
    status varchar(20) NOT NULL DEFAULT 'open',
    amount money,
    probability real,
    closed_on date
);
CREATE INDEX deals_status_idx ON deals (status);
CREATE INDEX deals_status_closed_idx ON deals (status, closed_on);

CREATE TABLE users (
    id serial PRIMARY KEY,
    login char(12) NOT NULL UNIQUE,
    full_name text
);

CREATE TABLE activities (
    id bigserial PRIMARY KEY,
    deal_id integer NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    kind text NOT NULL,
    happened_at timestamp NOT NULL,
    note text
);

CREATE VIEW open_deals AS
    SELECT d.id, d.title, a.name AS account
    FROM deals d JOIN accounts a ON a.id = d.account_id
    WHERE d.status = 'open';
