-- shardwave coordinator store, schema 5 (issue 10): the leader lease of coordinators
-- sharing one store. One row: who leads (holder, advertised url), the fencing epoch
-- (+1 whenever leadership changes hands; every fenced write checks it) and the expiry
-- on the store's own clock. holder '' = nobody (never led, or stepped down).
CREATE TABLE leader (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    holder     TEXT NOT NULL,
    url        TEXT NOT NULL,
    epoch      BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);

INSERT INTO leader (id, holder, url, epoch, expires_ms) VALUES (1, '', '', 0, 0);
