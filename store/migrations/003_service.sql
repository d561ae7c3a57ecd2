-- 003: the service: access tokens, sessions, the audit log, uploads, settings.

-- Tokens are shown once; only their SHA-256 is kept.
CREATE TABLE tokens (
    hash        VARCHAR PRIMARY KEY,
    id          VARCHAR NOT NULL,      -- short public id for revoking (first 8 hex of the hash)
    role        VARCHAR NOT NULL,      -- municipality | centre | prefecture | ministry
    entity_code VARCHAR NOT NULL,      -- '' for the ministry
    label       VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    revoked_at  TIMESTAMP
);

CREATE TABLE sessions (
    hash        VARCHAR PRIMARY KEY,   -- SHA-256 of the cookie value
    token_hash  VARCHAR NOT NULL,
    csrf        VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);

-- Who did what, when: uploads, reviews, runs, sign-ins, denials.
CREATE SEQUENCE audit_id_seq START 1;
CREATE TABLE audit (
    id          BIGINT PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    role        VARCHAR NOT NULL,
    entity_code VARCHAR NOT NULL,
    token_id    VARCHAR NOT NULL,
    action      VARCHAR NOT NULL,
    target      VARCHAR NOT NULL,
    detail      VARCHAR NOT NULL
);

-- Files uploaded through the service, accepted or not, with their report.
CREATE SEQUENCE upload_id_seq START 1;
CREATE TABLE uploads (
    id          BIGINT PRIMARY KEY,
    at          TIMESTAMP NOT NULL,
    token_id    VARCHAR NOT NULL,
    entity_code VARCHAR NOT NULL,      -- the entity the file was for (as read), or the uploader's
    file_name   VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,      -- accepted | unchanged | rejected | denied
    report      VARCHAR NOT NULL,      -- JSON of the file report
    annotated   VARCHAR                -- path of the annotated copy of a rejected workbook
);

CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
