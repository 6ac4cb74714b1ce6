-- Who submitted (the same as PostgreSQL's V9).
ALTER TABLE jobs ADD COLUMN submitted_by TEXT;
ALTER TABLE workflows ADD COLUMN submitted_by TEXT;
ALTER TABLE schedules ADD COLUMN submitted_by TEXT;
