-- H2 dispatches from an in-memory ready queue (one node per file) and needs no claim indexes.
-- This script keeps the version numbers of both databases the same.
SELECT 1;
