-- Who submitted: the authenticated caller's name (an API key's name, a JWT's subject), or NULL when
-- the call was not authenticated. A workflow's steps and children carry their workflow's; a
-- schedule's is whoever last defined it over the API (NULL for one from configuration), and the
-- jobs it fires carry it.
ALTER TABLE jobs ADD COLUMN submitted_by TEXT;
ALTER TABLE workflows ADD COLUMN submitted_by TEXT;
ALTER TABLE schedules ADD COLUMN submitted_by TEXT;
