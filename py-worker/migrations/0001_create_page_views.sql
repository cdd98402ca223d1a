-- One row per counted page; GET /counter uses the row page = 'counter'.
CREATE TABLE page_views (
    page TEXT PRIMARY KEY,
    count INTEGER NOT NULL
);
