--liquibase formatted sql
-- The Security Servers' shared state. Change sets are applied once each (Liquibase keeps the record in
-- databasechangelog); never edit one that shipped: add the next.

--changeset dsi:1-lease
-- One row: who is the active Security Server, until when (the database's clock), and the fencing epoch,
-- which grows by one at every change of holder. Every write checks it in its own transaction.
CREATE TABLE ss_lease (
    id             smallint    PRIMARY KEY CHECK (id = 1),
    holder         text        NOT NULL DEFAULT '',
    holder_address text        NOT NULL DEFAULT '',
    epoch          bigint      NOT NULL DEFAULT 0,
    expires_at     timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO ss_lease (id) VALUES (1);

--changeset dsi:2-server-state
CREATE TABLE ss_node (
    snid           bigint      PRIMARY KEY,
    name           text        NOT NULL,
    address        text        NOT NULL,
    state          text        NOT NULL,
    acked_version  bigint      NOT NULL DEFAULT 0,
    ack_error      text,
    last_heartbeat timestamptz,
    cert_expiry    timestamptz,
    joined_at      timestamptz
);
-- alarms append; the id (the raising node's, unique per alarm) makes a re-sent alarm a no-op
CREATE TABLE ss_alarm (
    seq         bigserial   NOT NULL UNIQUE,
    id          text        PRIMARY KEY,
    alarm       text        NOT NULL,
    received_at timestamptz,
    acked_at    timestamptz
);
CREATE TABLE ss_compromised (
    snid        bigint      PRIMARY KEY,
    declared_at timestamptz NOT NULL DEFAULT now()
);
-- a version is written once: two servers can never publish different policies under one number
CREATE TABLE ss_policy (
    version     bigint      PRIMARY KEY,
    xml         bytea       NOT NULL,
    stored_at   timestamptz NOT NULL DEFAULT now(),
    epoch       bigint      NOT NULL
);
CREATE TABLE ss_audit_anchor (
    snid        bigint      PRIMARY KEY,
    checkpoint  text        NOT NULL,
    signature   text        NOT NULL,
    received_at timestamptz
);
-- the label key epochs with their master secrets (readable by the store's role only)
CREATE TABLE ss_label_keys (
    id          smallint    PRIMARY KEY CHECK (id = 1),
    keys        text        NOT NULL
);

--changeset dsi:3-ca-state
-- join tokens: only the hash of a token is stored; a redemption is a row of its own whose primary key
-- makes a second redemption fail in the database, whichever server tries it
CREATE TABLE ca_join_token (
    hash        text        PRIMARY KEY,
    label       text        NOT NULL,
    snid        bigint      NOT NULL,
    replace     boolean     NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE TABLE ca_join_token_redemption (
    hash        text        PRIMARY KEY REFERENCES ca_join_token (hash) ON DELETE CASCADE,
    redeemed_at timestamptz NOT NULL
);
-- every certificate the root issued, with its revocation
CREATE TABLE ca_issued (
    seq         bigserial   NOT NULL UNIQUE,
    serial      text        PRIMARY KEY,
    role        text        NOT NULL,
    snid        bigint      NOT NULL,
    node_name   text        NOT NULL,
    not_before  timestamptz NOT NULL,
    not_after   timestamptz NOT NULL,
    revoked_at  timestamptz,
    reason      text
);
-- the CRL counter (a number is handed out once, ever) and the newest CRL signed
CREATE TABLE ca_crl (
    id          smallint    PRIMARY KEY CHECK (id = 1),
    number      numeric     NOT NULL,
    pem_number  numeric,
    pem         text
);
INSERT INTO ca_crl (id, number) VALUES (1, 0);

--changeset dsi:4-cluster-root
-- the fingerprint of the cluster's root CA, recorded by the first server to lead: a server holding
-- another root never serves on this store
CREATE TABLE ss_cluster (
    id               smallint PRIMARY KEY CHECK (id = 1),
    root_fingerprint text     NOT NULL
);

--changeset dsi:5-servers
-- every Security Server sharing the store, as it last reported itself (about once a second, active or
-- standby): its node's SnID makes that node a member of the label keys; a standby's row also says which
-- label key epochs its node holds, so that a rotation waits for it
CREATE TABLE ss_server (
    snid             bigint      PRIMARY KEY,
    name             text        NOT NULL,
    label_send_epoch integer     NOT NULL,
    label_epochs     text        NOT NULL,
    label_error      text,
    reported_at      timestamptz NOT NULL
);
